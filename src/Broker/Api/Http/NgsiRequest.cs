using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Problems;
using Microsoft.Net.Http.Headers;
using Ontology.JsonLd;

namespace Broker.Api.Http;

/// <summary>
/// What every NGSI-LD request carries besides its own parameters, read once: the tenant (clause 6.3.14), the
/// @context (clause 6.3.5: Link header or inline, never both), the body, and the media type the client accepts.
/// </summary>
public sealed class NgsiRequest
{
    public const string TenantHeader = "NGSILD-Tenant";

    private JsonNode? _body;

    private NgsiRequest(string tenant, JsonLdContext context, string? contextUrl, JsonNode? inlineContext, JsonElement body, string responseType)
    {
        Tenant = tenant;
        Context = context;
        ContextUrl = contextUrl;
        InlineContext = inlineContext;
        BodyElement = body;
        ResponseType = responseType;
    }

    public string Tenant { get; }

    public JsonLdContext Context { get; }

    /// <summary>The context URL of the Link header, if any.</summary>
    public string? ContextUrl { get; }

    /// <summary>The @context member of an application/ld+json body, if any.</summary>
    public JsonNode? InlineContext { get; }

    /// <summary>The body as JSON nodes (read lazily from <see cref="BodyElement"/>, valid while the request lasts).</summary>
    public JsonNode? Body => _body ??= Broker.Entities.Representation.EntityReader.Node(BodyElement);

    /// <summary>The parsed body (default when the request has none); its document is disposed when the response ends.</summary>
    public JsonElement BodyElement { get; }

    /// <summary>The media type of the response: application/json, application/ld+json or application/geo+json.</summary>
    public string ResponseType { get; }

    public static async Task<NgsiRequest> ReadAsync(HttpContext http, bool withBody, bool geoJsonAllowed = false, bool mergePatchAllowed = false)
    {
        var services = http.RequestServices;
        var options = services.GetRequiredService<BrokerOptions>();
        var request = http.Request;
        var tenant = ReadTenant(request);
        var responseType = NegotiateResponseType(request, geoJsonAllowed);
        var linkUrl = ReadLinkHeader(request);

        JsonElement body = default;
        JsonNode? inlineContext = null;
        if (withBody)
        {
            var contentType = ReadContentType(request, mergePatchAllowed);
            var document = await ReadBodyAsync(request, options);
            http.Response.RegisterForDispose(document);
            body = document.Document.RootElement;
            var bodyContext = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("@context"u8, out var member) && member.ValueKind != JsonValueKind.Null
                ? Broker.Entities.Representation.EntityReader.Node(member.Clone())
                : null;
            if (contentType == MediaTypes.JsonLd)
            {
                if (linkUrl is not null)
                    throw NgsiLdException.BadRequestData("A request with Content-Type application/ld+json must not have a JSON-LD Link header: its @context is in the body.");
                if (body.ValueKind == JsonValueKind.Object && bodyContext is null)
                    throw NgsiLdException.BadRequestData("A request with Content-Type application/ld+json must carry an @context member in its body.");
                inlineContext = bodyContext;
            }
            else if (bodyContext is not null)
            {
                throw NgsiLdException.BadRequestData("An @context member is only allowed with Content-Type application/ld+json; with application/json the @context goes in a Link header.");
            }
        }

        var context = await ResolveContextAsync(http, inlineContext, linkUrl);
        return new NgsiRequest(tenant, context, linkUrl, inlineContext, body, responseType)
        {
            IsJsonLdBody = withBody && request.ContentType?.StartsWith(MediaTypes.JsonLd, StringComparison.OrdinalIgnoreCase) == true,
        };
    }

    /// <summary>True when the body is application/ld+json, so each element of a batch carries its own @context.</summary>
    public bool IsJsonLdBody { get; private init; }

    public static async Task<JsonLdContext> ResolveContextAsync(HttpContext http, JsonNode? inlineContext, string? linkUrl)
    {
        var resolver = http.RequestServices.GetRequiredService<ContextResolver>();
        try
        {
            JsonElement? inline = inlineContext is null ? null : JsonSerializer.SerializeToElement(inlineContext, JsonNodeContext.Default.JsonNode);
            // The request URL is the base IRI of its body: a relative @context reference (e.g. /ngsi-ld/v1/jsonldContexts/{id}) resolves against it.
            return await resolver.ResolveAsync(inline, linkUrl, http.RequestAborted, new Uri(Microsoft.AspNetCore.Http.Extensions.UriHelper.GetEncodedUrl(http.Request)));
        }
        catch (JsonLdContextException e)
        {
            throw e.Kind == JsonLdContextError.ContextNotAvailable
                ? new NgsiLdException(ErrorType.LdContextNotAvailable, e.Message)
                : NgsiLdException.BadRequestData($"The @context is invalid: {e.Message}");
        }
    }

    /// <summary>
    /// The JSON body of a request whose payload is not NGSI-LD data (an @context document, clause 5.13.2): Content-Type application/json or
    /// application/ld+json, the body size and depth limits, and no @context handling.
    /// </summary>
    public static async Task<JsonElement> ReadJsonBodyAsync(HttpContext http)
    {
        ReadContentType(http.Request, mergePatchAllowed: false);
        using var body = await ReadBodyAsync(http.Request, http.RequestServices.GetRequiredService<BrokerOptions>());
        return body.Document.RootElement.Clone();
    }

    /// <summary>Tenant names are URIs or plain names; anything else is refused before it reaches a store.</summary>
    public static string ReadTenant(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(TenantHeader, out var values) || values.Count == 0)
            return "";
        var tenant = values[0] ?? "";
        if (values.Count > 1 || tenant.Length is 0 or > 128 || !tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            throw NgsiLdException.BadRequestData("The NGSILD-Tenant header must be one name of at most 128 letters, digits, '-', '_', '.' or ':'.");
        return tenant;
    }

    private static string ReadContentType(HttpRequest request, bool mergePatchAllowed)
    {
        if (string.IsNullOrEmpty(request.ContentType) || !MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed))
            throw new NgsiLdException(ErrorType.UnsupportedMediaType, "The request has no valid Content-Type: use application/json or application/ld+json.");
        var mediaType = parsed.MediaType.Value?.ToLowerInvariant();
        return mediaType switch
        {
            MediaTypes.Json or MediaTypes.JsonLd => mediaType,
            MediaTypes.MergePatch when mergePatchAllowed => MediaTypes.Json,
            _ => throw new NgsiLdException(ErrorType.UnsupportedMediaType, $"The Content-Type '{parsed.MediaType}' is not supported: use application/json or application/ld+json."),
        };
    }

    /// <summary>
    /// Reads and parses the body into a pooled buffer, which goes back to the pool when the document is disposed (a body
    /// of a thousand entities would otherwise be a new large-object-heap array per request, and those are only reclaimed
    /// by full collections).
    /// </summary>
    private static async Task<PooledJsonDocument> ReadBodyAsync(HttpRequest request, BrokerOptions options)
    {
        if (request.ContentLength > options.MaxBodyBytes)
            throw TooLarge(options);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 4096, options.MaxBodyBytes) + 1);
        var length = 0;
        try
        {
            var stream = request.Body;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                int read;
                try
                {
                    read = await stream.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw TooLarge(options);
                }
                if (read == 0)
                    break;
                length += read;
                if (length > options.MaxBodyBytes)
                    throw TooLarge(options);
            }
            if (length == 0)
                throw NgsiLdException.InvalidRequest("The request has no body, but this operation needs one.");
            var document = Broker.Entities.Representation.EntityReader.ParseBody(buffer.AsMemory(0, length), options.MaxJsonDepth);
            var pooled = new PooledJsonDocument(document, buffer);
            buffer = null;
            return pooled;
        }
        finally
        {
            if (buffer is not null)
                ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A document parsed from a pooled buffer; disposing it disposes the document, then returns the buffer.</summary>
    private sealed class PooledJsonDocument(JsonDocument document, byte[] buffer) : IDisposable
    {
        private byte[]? _buffer = buffer;

        public JsonDocument Document { get; } = document;

        public void Dispose()
        {
            Document.Dispose();
            if (Interlocked.Exchange(ref _buffer, null) is { } returned)
                ArrayPool<byte>.Shared.Return(returned);
        }
    }

    private static NgsiLdException TooLarge(BrokerOptions options) =>
        new(ErrorType.PayloadTooLarge, $"The request body is larger than the limit of {options.MaxBodyBytes} bytes.");

    /// <summary>The JSON-LD context Link header (clause 6.3.5); more than one is an error.</summary>
    public static string? ReadLinkHeader(HttpRequest request)
    {
        string? url = null;
        foreach (var header in request.Headers.Link)
        {
            if (string.IsNullOrEmpty(header))
                continue;
            foreach (var link in SplitLinks(header))
            {
                var trimmed = link.Trim();
                if (!trimmed.StartsWith('<'))
                    throw NgsiLdException.BadRequestData("The Link header is malformed: expected <url>; rel=\"http://www.w3.org/ns/json-ld#context\".");
                var end = trimmed.IndexOf('>', StringComparison.Ordinal);
                if (end < 0)
                    throw NgsiLdException.BadRequestData("The Link header is malformed: missing '>'.");
                var target = trimmed[1..end];
                var parameters = trimmed[(end + 1)..];
                if (!parameters.Contains(MediaTypes.JsonLdContextRel, StringComparison.Ordinal))
                    continue;
                if (url is not null)
                    throw NgsiLdException.BadRequestData("A request may carry only one JSON-LD context Link header.");
                if (!Uri.TryCreate(target, UriKind.Absolute, out _))
                    throw NgsiLdException.BadRequestData($"The @context link '{target}' is not an absolute URL.");
                url = target;
            }
        }
        return url;
    }

    private static IEnumerable<string> SplitLinks(string header)
    {
        var start = 0;
        var inUrl = false;
        var inQuotes = false;
        for (var i = 0; i < header.Length; i++)
        {
            switch (header[i])
            {
                case '<' when !inQuotes: inUrl = true; break;
                case '>' when !inQuotes: inUrl = false; break;
                case '"' when !inUrl: inQuotes = !inQuotes; break;
                case ',' when !inUrl && !inQuotes:
                    yield return header[start..i];
                    start = i + 1;
                    break;
            }
        }
        yield return header[start..];
    }

    /// <summary>Content negotiation on Accept (clause 6.3.4): JSON by default, JSON-LD, and GeoJSON where the operation offers it.</summary>
    public static string NegotiateResponseType(HttpRequest request, bool geoJsonAllowed)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0 || string.IsNullOrWhiteSpace(accept.ToString()))
            return MediaTypes.Json;
        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges) || ranges.Count == 0)
            throw new NgsiLdException(ErrorType.NotAcceptable, "The Accept header could not be parsed.");
        string? best = null;
        var bestQuality = -1.0;
        foreach (var range in ranges.OrderByDescending(r => r.Quality ?? 1.0))
        {
            var quality = range.Quality ?? 1.0;
            if (quality <= 0)
                continue;
            var type = range.MediaType.Value?.ToLowerInvariant();
            var candidate = type switch
            {
                MediaTypes.Json or "application/*" or "*/*" => MediaTypes.Json,
                MediaTypes.JsonLd => MediaTypes.JsonLd,
                MediaTypes.GeoJson when geoJsonAllowed => MediaTypes.GeoJson,
                _ => null,
            };
            if (candidate is not null && quality > bestQuality)
            {
                best = candidate;
                bestQuality = quality;
            }
        }
        return best ?? throw new NgsiLdException(ErrorType.NotAcceptable,
            $"None of the media types in Accept ({accept}) is offered: use application/json, application/ld+json{(geoJsonAllowed ? " or application/geo+json" : "")}.");
    }
}
