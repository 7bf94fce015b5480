using System.Text.Json;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Discovery;
using Broker.Entities;
using Broker.Entities.Representation;
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

    private static async Task ListTypes(HttpContext http, EntityService entities, DiscoveryService discovery)
    {
        RequestParameters.RejectUnknown(http.Request, ListParameters);
        var details = RequestParameters.Boolean(http.Request, "details");
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        await entities.RequireTenantAsync(request.Tenant, http.RequestAborted);
        var types = await discovery.GetTypesAsync(request.Tenant, http.RequestAborted);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, 200, details
            ? json => DiscoveryWriter.Types(json, types, request.Context, writeContext)
            : json => DiscoveryWriter.TypeList(json, types, request.Context, writeContext));
    }

    private static async Task RetrieveType(HttpContext http, string type, EntityService entities, DiscoveryService discovery)
    {
        RequestParameters.RejectUnknown(http.Request, DetailParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        type = RequestParameters.PathSegment(type);
        if (!Uris.IsValidName(type))
            throw NgsiLdException.BadRequestData($"'{type}' is not a valid entity type.");
        var expanded = request.Context.ExpandTerm(type);
        await entities.RequireTenantAsync(request.Tenant, http.RequestAborted);
        var summary = (await discovery.GetTypesAsync(request.Tenant, http.RequestAborted)).FirstOrDefault(t => t.Type == expanded)
            ?? throw NgsiLdException.NotFound($"No entity of type '{type}' exists.");
        await NgsiResponse.WriteJsonAsync(http, request, 200, json => DiscoveryWriter.TypeInfo(json, summary, request.Context, NgsiResponse.ContextMemberWriter(request)));
    }

    private static async Task ListAttributes(HttpContext http, EntityService entities, DiscoveryService discovery)
    {
        RequestParameters.RejectUnknown(http.Request, ListParameters);
        var details = RequestParameters.Boolean(http.Request, "details");
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        await entities.RequireTenantAsync(request.Tenant, http.RequestAborted);
        var attributes = await discovery.GetAttributesAsync(request.Tenant, http.RequestAborted);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, 200, details
            ? json => DiscoveryWriter.Attributes(json, attributes, request.Context, writeContext)
            : json => DiscoveryWriter.AttributeList(json, attributes, request.Context, writeContext));
    }

    private static async Task RetrieveAttribute(HttpContext http, string attrId, EntityService entities, DiscoveryService discovery)
    {
        RequestParameters.RejectUnknown(http.Request, DetailParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        attrId = RequestParameters.PathSegment(attrId);
        if (!Uris.IsValidName(attrId))
            throw NgsiLdException.BadRequestData($"'{attrId}' is not a valid attribute name.");
        var expanded = request.Context.ExpandTerm(attrId);
        await entities.RequireTenantAsync(request.Tenant, http.RequestAborted);
        var attribute = (await discovery.GetAttributesAsync(request.Tenant, http.RequestAborted)).FirstOrDefault(a => a.Name == expanded)
            ?? throw NgsiLdException.NotFound($"No entity has an attribute '{attrId}'.");
        await NgsiResponse.WriteJsonAsync(http, request, 200, json => DiscoveryWriter.Attribute(json, attribute, request.Context, NgsiResponse.ContextMemberWriter(request)));
    }
}
