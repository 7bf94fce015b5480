using System.Buffers;
using System.Text.Json;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Contexts;
using Broker.Entities.Representation;
using Broker.Problems;

namespace Broker.Api.Contexts;

/// <summary>The @context management API of clause 5.13 / 6.29: /jsonldContexts and /jsonldContexts/{contextId}.</summary>
public static class ContextsApi
{
    private static readonly HashSet<string> ListParameters = ["details", "kind"];
    private static readonly HashSet<string> ServeParameters = ["details"];
    private static readonly HashSet<string> DeleteParameters = ["reload"];

    public static RouteGroupBuilder MapContextsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/ngsi-ld/v1/jsonldContexts");
        group.MapPost("/", AddContext);
        group.MapGet("/", ListContexts);
        // A catch-all, so that the URL of a Cached @context may be given with its slashes percent-encoded or not.
        group.MapGet("/{**contextId}", ServeContext);
        group.MapDelete("/{**contextId}", DeleteContext);
        return group;
    }

    private static async Task AddContext(HttpContext http, ContextRegistry registry)
    {
        RequestParameters.RejectUnknown(http.Request, new HashSet<string>());
        var tenant = NgsiRequest.ReadTenant(http.Request);
        var body = await NgsiRequest.ReadJsonBodyAsync(http);
        var stored = await registry.AddHostedAsync(body, tenant, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.Headers.Location = HostedContextStore.ResourcePath + stored.LocalId;
    }

    private static Task ListContexts(HttpContext http, ContextRegistry registry)
    {
        RequestParameters.RejectUnknown(http.Request, ListParameters);
        var tenant = NgsiRequest.ReadTenant(http.Request);
        var details = Flag(http.Request, "details");
        var kind = Kind(http.Request);
        var responseType = NgsiRequest.NegotiateResponseType(http.Request, geoJsonAllowed: false);
        var contexts = registry.List(kind, BrokerBase(http), tenant);
        return WriteAsync(http, responseType, json =>
        {
            json.WriteStartArray();
            foreach (var context in contexts)
            {
                if (details)
                    WriteInfo(json, context);
                else
                    json.WriteStringValue(context.Url);
            }
            json.WriteEndArray();
        });
    }

    private static Task ServeContext(HttpContext http, string contextId, ContextRegistry registry)
    {
        RequestParameters.RejectUnknown(http.Request, ServeParameters);
        var tenant = NgsiRequest.ReadTenant(http.Request);
        var id = ContextId(contextId);
        var details = Flag(http.Request, "details");
        var responseType = NgsiRequest.NegotiateResponseType(http.Request, geoJsonAllowed: false);
        if (details)
        {
            var info = registry.Find(id, BrokerBase(http), tenant) ?? throw NgsiLdException.NotFound($"There is no @context '{id}'.");
            return WriteAsync(http, responseType, json => WriteInfo(json, info));
        }
        var document = registry.Serve(id, BrokerBase(http));
        return WriteAsync(http, responseType, document.WriteTo);
    }

    private static async Task DeleteContext(HttpContext http, string contextId, ContextRegistry registry)
    {
        RequestParameters.RejectUnknown(http.Request, DeleteParameters);
        var tenant = NgsiRequest.ReadTenant(http.Request);
        var reload = Flag(http.Request, "reload");
        await registry.DeleteAsync(ContextId(contextId), reload, BrokerBase(http), tenant, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>The detailed information of clause 5.13.3.4.</summary>
    private static void WriteInfo(Utf8JsonWriter json, ContextInfo info)
    {
        json.WriteStartObject();
        json.WriteString("URL"u8, info.Url);
        json.WriteString("localId"u8, info.LocalId);
        json.WriteString("kind"u8, info.Kind.ToString());
        json.WriteString("createdAt"u8, Timestamps.Format6(info.CreatedAt));
        if (info.ExpiresAt is { } expiresAt)
            json.WriteString("expiresAt"u8, Timestamps.Format6(expiresAt));
        if (info.LastUsage is { } lastUsage)
            json.WriteString("lastUsage"u8, Timestamps.Format6(lastUsage));
        if (info.NumberOfHits is { } hits)
            json.WriteNumber("numberOfHits"u8, hits);
        json.WriteEndObject();
    }

    /// <summary>A local id, or a URL; a URL's slashes arrive percent-encoded (%2F), which the server does not decode in a path.</summary>
    private static string ContextId(string? routeValue)
    {
        var id = Uri.UnescapeDataString(routeValue ?? "");
        if (id.Length == 0)
            throw NgsiLdException.BadRequestData("The @context identifier is empty.");
        return id;
    }

    private static bool Flag(HttpRequest request, string name) => RequestParameters.Single(request, name) switch
    {
        null => false,
        "true" => true,
        "false" => false,
        var other => throw NgsiLdException.BadRequestData($"The parameter {name} must be true or false, not '{other}'."),
    };

    private static ContextKind? Kind(HttpRequest request) => RequestParameters.Single(request, "kind") switch
    {
        null => null,
        "Hosted" => ContextKind.Hosted,
        "Cached" => ContextKind.Cached,
        "ImplicitlyCreated" => ContextKind.ImplicitlyCreated,
        var other => throw NgsiLdException.BadRequestData($"The kind '{other}' is not known: use Hosted, Cached or ImplicitlyCreated."),
    };

    private static string BrokerBase(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";

    private static async Task WriteAsync(HttpContext http, string contentType, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(json);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }
}
