using System.Globalization;
using System.Text.Json.Nodes;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Federation;
using Broker.Problems;

namespace Broker.Api.Registrations;

/// <summary>The context source registration resources of clause 6.8–6.9: /csourceRegistrations and /csourceRegistrations/{registrationId}.</summary>
public static class RegistrationsApi
{
    private const string Resource = "/ngsi-ld/v1/csourceRegistrations";

    private static readonly HashSet<string> NoParameters = [];
    private static readonly HashSet<string> RetrieveParameters = ["options"];

    private static readonly HashSet<string> QueryParameterNames =
    [
        "id", "type", "idPattern", "attrs", "q", "csf", "georel", "geometry", "coordinates", "geoproperty", "timeproperty", "timerel",
        "timeAt", "endTimeAt", "geometryProperty", "lang", "scopeQ", "options", "limit", "offset", "count",
    ];

    public static RouteGroupBuilder MapRegistrationsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(Resource);
        group.MapPost("/", CreateRegistration);
        group.MapGet("/", QueryRegistrations);
        group.MapGet("/{registrationId}", RetrieveRegistration);
        group.MapPatch("/{registrationId}", UpdateRegistration);
        group.MapDelete("/{registrationId}", DeleteRegistration);
        return group;
    }

    private static async Task CreateRegistration(HttpContext http, RegistrationService registrations)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var id = await registrations.CreateAsync(request.Tenant, BodyObject(request), request.Context.ExpandTerm, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.Headers.Location = $"{Resource}/{EntitiesApi.EscapeId(id)}";
    }

    private static async Task QueryRegistrations(HttpContext http, RegistrationService registrations, BrokerOptions limits)
    {
        RequestParameters.RejectUnknown(http.Request, QueryParameterNames);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var sysAttrs = SysAttrs(http);
        var query = DiscoveryParameters.Build(http.Request, request.Context);
        var limit = RequestParameters.Integer(http.Request, "limit", limits.DefaultLimit, 0, limits.MaxLimit);
        var offset = RequestParameters.Integer(http.Request, "offset", 0, 0, int.MaxValue);
        var count = RequestParameters.Boolean(http.Request, "count");
        if (limit == 0 && !count)
            throw NgsiLdException.BadRequestData("limit=0 is only allowed together with count=true.");
        var (page, total) = await registrations.QueryAsync(request.Tenant, query, offset, limit, http.RequestAborted);
        if (count)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(CultureInfo.InvariantCulture);
        AddPageLinks(http, request, offset, limit, total);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status200OK, json =>
        {
            json.WriteStartArray();
            foreach (var view in page)
                RegistrationWriter.Write(json, view.Registration, view.Status, request.Context.CompactIri, shown: true, sysAttrs, writeContext);
            json.WriteEndArray();
        });
    }

    private static async Task RetrieveRegistration(HttpContext http, string registrationId, RegistrationService registrations)
    {
        RequestParameters.RejectUnknown(http.Request, RetrieveParameters);
        var id = RegistrationId(registrationId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var sysAttrs = SysAttrs(http);
        var view = await registrations.GetAsync(request.Tenant, id, http.RequestAborted);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status200OK,
            json => RegistrationWriter.Write(json, view.Registration, view.Status, request.Context.CompactIri, shown: true, sysAttrs, writeContext));
    }

    private static async Task UpdateRegistration(HttpContext http, string registrationId, RegistrationService registrations)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var id = RegistrationId(registrationId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        await registrations.UpdateAsync(request.Tenant, id, BodyObject(request), request.Context.ExpandTerm, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task DeleteRegistration(HttpContext http, string registrationId, RegistrationService registrations)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var id = RegistrationId(registrationId);
        await registrations.DeleteAsync(NgsiRequest.ReadTenant(http.Request), id, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static string RegistrationId(string raw)
    {
        var id = RequestParameters.PathSegment(raw);
        RequestParameters.RequireUri(id, "registration id");
        return id;
    }

    private static JsonObject BodyObject(NgsiRequest request) =>
        request.Body as JsonObject ?? throw NgsiLdException.BadRequestData("A context source registration must be a JSON object.");

    private static bool SysAttrs(HttpContext http)
    {
        var sysAttrs = false;
        foreach (var option in RequestParameters.List(http.Request, "options") ?? [])
        {
            if (option != "sysAttrs")
                throw NgsiLdException.InvalidRequest($"Unknown option '{option}': registrations take sysAttrs.");
            sysAttrs = true;
        }
        return sysAttrs;
    }

    /// <summary>Pagination links (clause 5.5.9, 6.3.10): the previous and the next page, if there are, with the query's own parameters.</summary>
    private static void AddPageLinks(HttpContext http, NgsiRequest request, int offset, int limit, long total)
    {
        if (limit == 0)
            return;
        if (offset > 0)
            http.Response.Headers.Append("Link", PageLink(http.Request, Math.Max(0, offset - limit), limit, "prev", request.ResponseType));
        if (offset + limit < total)
            http.Response.Headers.Append("Link", PageLink(http.Request, offset + limit, limit, "next", request.ResponseType));
    }

    private static string PageLink(HttpRequest http, int offset, int limit, string rel, string mediaType)
    {
        var query = http.Query.Where(p => p.Key is not ("limit" or "offset"))
            .SelectMany(p => p.Value.Select(v => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(v ?? "")))
            .Append("limit=" + limit.ToString(CultureInfo.InvariantCulture))
            .Append("offset=" + offset.ToString(CultureInfo.InvariantCulture));
        return $"<{Resource}?{string.Join('&', query)}>;rel=\"{rel}\";type=\"{mediaType}\"";
    }
}
