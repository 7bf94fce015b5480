using System.Text.Json;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Discovery;
using Broker.Entities.Representation;
using Broker.Federation.Distributed;
using Broker.Problems;
using Ontology.JsonLd;

namespace Broker.Api.Discovery;

/// <summary>Type and attribute discovery resources (clause 6.25–6.28): /types, /types/{type}, /attributes, /attributes/{attrId}.</summary>
public static class DiscoveryApi
{
    private static readonly HashSet<string> ListParameters = ["details", "local"];
    private static readonly HashSet<string> DetailParameters = ["local"];

    public static void MapDiscoveryApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/ngsi-ld/v1");
        group.MapGet("/types", ListTypes);
        group.MapGet("/types/{type}", RetrieveType);
        group.MapGet("/attributes", ListAttributes);
        group.MapGet("/attributes/{attrId}", RetrieveAttribute);
    }

    private static readonly HashSet<string> NothingForwarded = [];

    private static async Task ListTypes(HttpContext http, DistributedDiscovery discovery)
    {
        RequestParameters.RejectUnknown(http.Request, ListParameters);
        var details = RequestParameters.Boolean(http.Request, "details");
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var result = await discovery.TypesAsync(request.Tenant, details, request.Context, Forwarding.Of(http.Request, request, NothingForwarded), http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, 200, details
            ? json => DiscoveryWriter.Types(json, result.Value, request.Context, writeContext)
            : json => DiscoveryWriter.TypeList(json, result.Value, request.Context, writeContext));
    }

    private static async Task RetrieveType(HttpContext http, string type, DistributedDiscovery discovery)
    {
        RequestParameters.RejectUnknown(http.Request, DetailParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        type = RequestParameters.PathSegment(type);
        if (!Uris.IsValidName(type))
            throw NgsiLdException.BadRequestData($"'{type}' is not a valid entity type.");
        var result = await discovery.TypeAsync(request.Tenant, request.Context.ExpandTerm(type), type, request.Context,
            Forwarding.Of(http.Request, request, NothingForwarded), http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var summary = result.Value.FirstOrDefault() ?? throw NgsiLdException.NotFound($"No entity of type '{type}' exists.");
        await NgsiResponse.WriteJsonAsync(http, request, 200, json => DiscoveryWriter.TypeInfo(json, summary, request.Context, NgsiResponse.ContextMemberWriter(request)));
    }

    private static async Task ListAttributes(HttpContext http, DistributedDiscovery discovery)
    {
        RequestParameters.RejectUnknown(http.Request, ListParameters);
        var details = RequestParameters.Boolean(http.Request, "details");
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var result = await discovery.AttributesAsync(request.Tenant, details, request.Context, Forwarding.Of(http.Request, request, NothingForwarded), http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, 200, details
            ? json => DiscoveryWriter.Attributes(json, result.Value, request.Context, writeContext)
            : json => DiscoveryWriter.AttributeList(json, result.Value, request.Context, writeContext));
    }

    private static async Task RetrieveAttribute(HttpContext http, string attrId, DistributedDiscovery discovery)
    {
        RequestParameters.RejectUnknown(http.Request, DetailParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        attrId = RequestParameters.PathSegment(attrId);
        if (!Uris.IsValidName(attrId))
            throw NgsiLdException.BadRequestData($"'{attrId}' is not a valid attribute name.");
        var result = await discovery.AttributeAsync(request.Tenant, request.Context.ExpandTerm(attrId), attrId, request.Context,
            Forwarding.Of(http.Request, request, NothingForwarded), http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var attribute = result.Value.FirstOrDefault() ?? throw NgsiLdException.NotFound($"No entity has an attribute '{attrId}'.");
        await NgsiResponse.WriteJsonAsync(http, request, 200, json => DiscoveryWriter.Attribute(json, attribute, request.Context, NgsiResponse.ContextMemberWriter(request)));
    }
}
