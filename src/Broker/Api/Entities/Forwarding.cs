using System.Text;
using System.Text.Json;
using Broker.Api.Http;
using Broker.Entities;
using Broker.Federation.Distributed;
using Broker.Problems;

namespace Broker.Api.Entities;

/// <summary>
/// What the entity endpoints hand on to a distributed retrieval or write, and how they report a missing source or the
/// parts of a write (clause 6.3.17, NGSILD-Warning; 207 with a BatchOperationResult or UpdateResult, clause 5.2.16, 5.2.18).
/// </summary>
internal static class Forwarding
{
    /// <summary>The NGSILD-Warning header (clause 6.3.17) of a response that lacks the part of a context source.</summary>
    public const string WarningHeader = "NGSILD-Warning";

    public const string MiscellaneousWarning = "199 - Miscellaneous Warning";

    /// <summary>The parameters of retrieve entity a context source is asked with.</summary>
    public static readonly IReadOnlySet<string> RetrieveParameters = new HashSet<string> { "attrs", "datasetId" };

    /// <summary>The parameters of query entities a context source is asked with: the entity selection and filters.</summary>
    public static readonly IReadOnlySet<string> QueryParameters = new HashSet<string>
    {
        "id", "type", "idPattern", "attrs", "q", "georel", "geometry", "coordinates", "geoproperty", "scopeQ", "datasetId",
    };

    public static ForwardingContext Of(HttpRequest http, NgsiRequest request, IReadOnlySet<string> forwarded)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in http.Query)
        {
            if (!forwarded.Contains(name))
                continue;
            foreach (var value in values)
            {
                if (value is not null)
                    parameters.Add(new(name, value));
            }
        }
        var via = http.Headers[ForwardingContext.ViaHeader].ToString();
        return new ForwardingContext(RequestParameters.Boolean(http, "local"), via.Length == 0 ? null : via, LinkOf(request.ContextUrl), parameters);
    }

    /// <summary>The parameters that shape how entities are represented, which a source passed an answer on verbatim is asked with.</summary>
    private static readonly string[] RepresentationParameters = ["options", "format", "lang", "pick", "omit"];

    /// <summary>What a query's single source is asked for when its answer can be passed on as it is: JSON or JSON-LD, not GeoJSON.</summary>
    public static VerbatimRequest? VerbatimOf(HttpRequest http, NgsiRequest request)
    {
        if (request.ResponseType is not (MediaTypes.Json or MediaTypes.JsonLd))
            return null;
        var representation = new List<KeyValuePair<string, string>>();
        foreach (var name in RepresentationParameters)
        {
            foreach (var value in http.Query[name])
            {
                if (value is not null)
                    representation.Add(new(name, value));
            }
        }
        return new VerbatimRequest(request.ResponseType, representation);
    }

    /// <summary>The forwarding context of a write: its query string is the write's own, built by the endpoint.</summary>
    public static ForwardingContext OfWrite(HttpRequest http, NgsiRequest request) =>
        Of(http, request, NoParameters) with { BodyContext = request.IsJsonLdBody ? UrlContextOf(request.BodyElement) : null };

    /// <summary>The @context of a JSON-LD body (of its first entity for a batch) as JSON, when it is URLs only.</summary>
    private static string? UrlContextOf(JsonElement body)
    {
        if (body.ValueKind == JsonValueKind.Array)
            body = body.GetArrayLength() > 0 ? body[0] : default;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("@context", out var context))
            return null;
        var urlsOnly = context.ValueKind == JsonValueKind.String
            || (context.ValueKind == JsonValueKind.Array && context.GetArrayLength() > 0 && context.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String));
        return urlsOnly ? context.GetRawText() : null;
    }

    /// <summary>The request's body as a source is sent it when it is not split by attribute.</summary>
    public static ForwardedBody BodyOf(NgsiRequest request) =>
        new(Encoding.UTF8.GetBytes(request.BodyElement.GetRawText()), request.IsJsonLdBody ? MediaTypes.JsonLd : "application/json");

    /// <summary>
    /// The response of an entity write (create, delete, replace, merge): its success status when every part succeeded;
    /// the error of a write with one part; otherwise 207 with the entity among success if a part of it succeeded and an
    /// error per failed part (with the registration of a remote part).
    /// </summary>
    public static async Task WriteEntityResultAsync(HttpContext http, NgsiRequest request, string entityId, DistributedWriteResult result, int successStatus)
    {
        if (result.Succeeded)
        {
            http.Response.StatusCode = successStatus;
            return;
        }
        if (!result.Forwarded || result.Parts.Count == 1)
            throw result.Parts.First(part => part.Error is not null).Error!;
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status207MultiStatus, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("success"u8);
            if (result.Parts.Any(part => part.Error is null))
                json.WriteStringValue(entityId);
            json.WriteEndArray();
            json.WriteStartArray("errors"u8);
            foreach (var part in result.Parts)
            {
                if (part.Error is { } error)
                    WriteBatchError(json, entityId, part.RegistrationId, error);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>
    /// The response of an attribute write: 204 when every attribute was written in every part; the error of a write with
    /// one part that failed; otherwise 207 with an UpdateResult whose notUpdated items name the registration of a remote part.
    /// </summary>
    public static async Task WriteUpdateResultAsync(HttpContext http, NgsiRequest request, DistributedWriteResult result)
    {
        if (result.Parts.Count == 1 && result.Parts[0].Error is { } only)
            throw only;
        var updated = new List<string>();
        var notUpdated = new List<(string Name, string Reason, string? RegistrationId)>();
        var notHeld = new List<(string Name, string Reason, string? RegistrationId)>();
        foreach (var part in result.Parts)
        {
            if (part.Error is { } error)
            {
                // Here, not found is only that this broker does not hold the attribute.
                var target = part.RegistrationId is null && error.Type == ErrorType.ResourceNotFound ? notHeld : notUpdated;
                foreach (var name in part.Attributes ?? [])
                    target.Add((name, error.Detail, part.RegistrationId));
            }
            else if (part.Update is { } update)
            {
                updated.AddRange(update.Updated);
                notHeld.AddRange(update.NotUpdated.Select(item => (item.AttributeName, item.Reason, part.RegistrationId)));
            }
            else
            {
                updated.AddRange(part.Attributes ?? []);
            }
        }
        // An attribute one part does not hold but another updated was updated: only failures and attributes no part holds are reported.
        notUpdated.AddRange(notHeld.Where(item => !updated.Contains(item.Name, StringComparer.Ordinal)));
        if (notUpdated.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status207MultiStatus, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("updated"u8);
            foreach (var name in updated.Distinct(StringComparer.Ordinal))
                json.WriteStringValue(request.Context.CompactIri(name));
            json.WriteEndArray();
            json.WriteStartArray("notUpdated"u8);
            foreach (var (name, reason, registrationId) in notUpdated)
            {
                json.WriteStartObject();
                json.WriteString("attributeName"u8, request.Context.CompactIri(name));
                json.WriteString("reason"u8, reason);
                if (registrationId is not null)
                    json.WriteString("registrationId"u8, registrationId);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>
    /// The response of purge entities: 204 when this broker and every source purged; otherwise 207 with an error per source
    /// that did not (clause 6.3.17).
    /// </summary>
    public static async Task WritePurgeResultAsync(HttpContext http, NgsiRequest request, IReadOnlyList<PurgeFailure> failures)
    {
        if (failures.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status207MultiStatus, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("success"u8);
            json.WriteEndArray();
            json.WriteStartArray("errors"u8);
            foreach (var failure in failures)
                WriteBatchError(json, entityId: null, failure.RegistrationId, failure.Error);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>A BatchEntityError (clause 5.2.17): the entity and the registration it is about, where known, and the error.</summary>
    private static void WriteBatchError(Utf8JsonWriter json, string? entityId, string? registrationId, NgsiLdException error)
    {
        json.WriteStartObject();
        if (entityId is not null)
            json.WriteString("entityId"u8, entityId);
        if (registrationId is not null)
            json.WriteString("registrationId"u8, registrationId);
        json.WritePropertyName("error"u8);
        WriteProblem(json, error);
        json.WriteEndObject();
    }

    private static void WriteProblem(Utf8JsonWriter json, NgsiLdException error)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, error.Type.Uri);
        json.WriteString("title"u8, error.Type.Title);
        json.WriteNumber("status"u8, error.Type.Status);
        json.WriteString("detail"u8, error.Detail);
        json.WriteEndObject();
    }

    private static readonly IReadOnlySet<string> NoParameters = new HashSet<string>();

    private static string? LinkOf(string? contextUrl) =>
        contextUrl is null ? null : $"<{contextUrl}>; rel=\"{MediaTypes.JsonLdContextRel}\"; type=\"application/ld+json\"";

    /// <summary>The expanded attributes asked for, without id and type, or null for all.</summary>
    public static IReadOnlyList<string>? Attributes(IReadOnlySet<string>? include)
    {
        if (include is null)
            return null;
        var names = include.Where(name => name is not ("id" or "type" or "@id" or "@type")).ToList();
        return names.Count == 0 ? null : names;
    }

    /// <summary>A query as context sources are asked it: <paramref name="selectors"/> (alternatives) and the request's datasetId.</summary>
    public static ForwardedQuery QueryOf(HttpRequest http, IEnumerable<QueryParameters.Selectors> selectors, bool askedAsBatch) =>
        ForwardedQuery.Of(
            [.. selectors.Select(s => new ForwardedQuery.Selector(s.Ids, s.IdPattern, s.Type, s.Attrs, s.Q, s.ScopeQ, s.GeoRel, s.Geometry, s.Coordinates, s.GeoProperty))],
            RequestParameters.Single(http, "datasetId"), askedAsBatch);

    public static void ReportMissing<T>(HttpResponse response, DistributedResult<T> result)
    {
        if (result.MissingRegistrations.Count > 0)
            response.Headers[WarningHeader] = MiscellaneousWarning;
    }
}
