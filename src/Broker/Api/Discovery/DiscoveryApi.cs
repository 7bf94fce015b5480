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
        var context = request.Context;
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, 200, json =>
        {
            if (!details)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, $"urn:ngsi-ld:EntityTypeList:{Guid.NewGuid()}");
                json.WriteString("type"u8, "EntityTypeList");
                json.WriteStartArray("typeList"u8);
                foreach (var type in types)
                    json.WriteStringValue(context.CompactIri(type.Type));
                json.WriteEndArray();
                writeContext?.Invoke(json);
                json.WriteEndObject();
                return;
            }
            json.WriteStartArray();
            foreach (var type in types)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, type.Type);
                json.WriteString("type"u8, "EntityType");
                json.WriteString("typeName"u8, context.CompactIri(type.Type));
                json.WriteStartArray("attributeNames"u8);
                foreach (var name in type.Attributes.Keys.Order(StringComparer.Ordinal))
                    json.WriteStringValue(context.CompactIri(name));
                json.WriteEndArray();
                writeContext?.Invoke(json);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        });
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
        var context = request.Context;
        await NgsiResponse.WriteJsonAsync(http, request, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("id"u8, summary.Type);
            json.WriteString("type"u8, "EntityTypeInfo");
            json.WriteString("typeName"u8, context.CompactIri(summary.Type));
            json.WriteNumber("entityCount"u8, summary.EntityCount);
            json.WriteStartArray("attributeDetails"u8);
            foreach (var (name, kinds) in summary.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("id"u8, name);
                json.WriteString("type"u8, "Attribute");
                json.WriteString("attributeName"u8, context.CompactIri(name));
                WriteStrings(json, "attributeTypes"u8, kinds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            NgsiResponse.ContextMemberWriter(request)?.Invoke(json);
            json.WriteEndObject();
        });
    }

    private static async Task ListAttributes(HttpContext http, EntityService entities, DiscoveryService discovery)
    {
        RequestParameters.RejectUnknown(http.Request, ListParameters);
        var details = RequestParameters.Boolean(http.Request, "details");
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        await entities.RequireTenantAsync(request.Tenant, http.RequestAborted);
        var attributes = await discovery.GetAttributesAsync(request.Tenant, http.RequestAborted);
        var context = request.Context;
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, 200, json =>
        {
            if (!details)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, $"urn:ngsi-ld:AttributeList:{Guid.NewGuid()}");
                json.WriteString("type"u8, "AttributeList");
                json.WriteStartArray("attributeList"u8);
                foreach (var attribute in attributes)
                    json.WriteStringValue(context.CompactIri(attribute.Name));
                json.WriteEndArray();
                writeContext?.Invoke(json);
                json.WriteEndObject();
                return;
            }
            json.WriteStartArray();
            foreach (var attribute in attributes)
                WriteAttribute(json, attribute, context, writeContext, withCounts: false);
            json.WriteEndArray();
        });
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
        await NgsiResponse.WriteJsonAsync(http, request, 200, json => WriteAttribute(json, attribute, request.Context, NgsiResponse.ContextMemberWriter(request)));
    }

    /// <summary>
    /// An Attribute (clause 5.2.28). attributeCount and attributeTypes are optional: the list of details leaves them out
    /// (as the ETSI suite expects, test 026_01), the single attribute shows them.
    /// </summary>
    private static void WriteAttribute(Utf8JsonWriter json, AttributeSummary attribute, JsonLdContext context, Action<Utf8JsonWriter>? writeContext, bool withCounts = true)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, attribute.Name);
        json.WriteString("type"u8, "Attribute");
        json.WriteString("attributeName"u8, context.CompactIri(attribute.Name));
        if (withCounts)
        {
            json.WriteNumber("attributeCount"u8, attribute.InstanceCount);
            WriteStrings(json, "attributeTypes"u8, attribute.AttributeTypes);
        }
        json.WriteStartArray("typeNames"u8);
        foreach (var type in attribute.TypeNames)
            json.WriteStringValue(context.CompactIri(type));
        json.WriteEndArray();
        writeContext?.Invoke(json);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, ReadOnlySpan<byte> name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
