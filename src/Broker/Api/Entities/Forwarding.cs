using Broker.Api.Http;
using Broker.Federation.Distributed;

namespace Broker.Api.Entities;

/// <summary>What the entity retrieval endpoints hand on to a distributed retrieval, and how they report a missing source.</summary>
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
