using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Broker.Entities.Representation;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Api.Http;

/// <summary>Writes response bodies with the @context as a Link header (application/json) or as a member (application/ld+json), clause 6.3.5.</summary>
public static class NgsiResponse
{
    public const string CountHeader = "NGSILD-Results-Count";

    /// <summary>
    /// Writes one entity; with linked entities (clause 4.5.23) inline into its relationships, or, for a flat join that
    /// found some, as an array of the entity and the entities it links to.
    /// </summary>
    public static Task WriteEntityAsync(HttpContext http, NgsiRequest request, Entity entity, RepresentationOptions options, LinkedEntities? links)
    {
        if (links is { Kind: JoinKind.Flat, Flat.Count: > 0 })
            return WriteEntitiesAsync(http, request, [entity], options, links);
        return WriteEntityAsync(http, request, entity, options, links is { Kind: JoinKind.Inline } ? EntityWriter.Inline(request.Context, options, links) : null);
    }

    public static Task WriteEntityAsync(HttpContext http, NgsiRequest request, Entity entity, RepresentationOptions options, int status = 200) =>
        WriteEntityAsync(http, request, entity, options, writer: null, status);

    private static Task WriteEntityAsync(HttpContext http, NgsiRequest request, Entity entity, RepresentationOptions options, EntityWriter? writer, int status = 200)
    {
        writer ??= EntityWriter.For(request.Context, options);
        if (request.ResponseType == MediaTypes.GeoJson)
        {
            var geometryProperty = GeometryProperty(http, request);
            return WriteJsonAsync(http, request, status, json => writer.WriteFeature(json, entity, geometryProperty, GeoJsonContextWriter(request)));
        }
        return WriteJsonAsync(http, request, status, json => writer.WriteEntity(json, entity, ContextMemberWriter(request)));
    }

    /// <summary>The geometryProperty parameter (clause 4.5.16, 6.3.15): which GeoProperty becomes the Feature's geometry.</summary>
    private static string GeometryProperty(HttpContext http, NgsiRequest request)
    {
        var name = http.Request.Query["geometryProperty"].ToString();
        if (string.IsNullOrEmpty(name))
            return NgsiLd.Location;
        if (!Uris.IsValidName(name))
            throw Broker.Problems.NgsiLdException.BadRequestData($"'{name}' is not a valid geometryProperty.");
        return request.Context.ExpandTerm(name);
    }

    /// <summary>
    /// Writes entities as an array (or a FeatureCollection). With join=inline their relationships carry the linked entities;
    /// with join=flat the linked entities follow them, each once (clause 4.5.23).
    /// </summary>
    public static Task WriteEntitiesAsync(HttpContext http, NgsiRequest request, IReadOnlyList<Entity> entities, RepresentationOptions options,
        LinkedEntities? links = null)
    {
        var writer = links is { Kind: JoinKind.Inline } ? EntityWriter.Inline(request.Context, options, links) : EntityWriter.For(request.Context, options);
        var flat = links is { Kind: JoinKind.Flat } ? links.Flat : [];
        var writeContext = ContextMemberWriter(request);
        if (request.ResponseType == MediaTypes.GeoJson)
        {
            var geometryProperty = GeometryProperty(http, request);
            return WriteJsonAsync(http, request, 200, json =>
            {
                json.WriteStartObject();
                json.WriteString("type"u8, "FeatureCollection");
                json.WriteStartArray("features"u8);
                foreach (var entity in entities)
                    writer.WriteFeature(json, entity, geometryProperty);
                foreach (var (entity, projection) in flat)
                    writer.WithProjection(projection).WriteFeature(json, entity, geometryProperty);
                json.WriteEndArray();
                GeoJsonContextWriter(request)(json);
                json.WriteEndObject();
            });
        }
        return WriteJsonAsync(http, request, 200, json =>
        {
            json.WriteStartArray();
            foreach (var entity in entities)
                writer.WriteEntity(json, entity, writeContext);
            foreach (var (entity, projection) in flat)
                writer.WithProjection(projection).WriteEntity(json, entity, writeContext);
            json.WriteEndArray();
        });
    }

    /// <summary>Writes a JSON body a context source gave in the representation the client asked for, as it is.</summary>
    public static async Task WriteVerbatimAsync(HttpContext http, NgsiRequest request, byte[] body)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = request.ResponseType;
        if (request.ResponseType != MediaTypes.JsonLd)
            AddContextLink(response, request);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>Writes a JSON body produced by <paramref name="write"/>; the @context goes in a Link header unless the body is JSON-LD.</summary>
    public static async Task WriteJsonAsync(HttpContext http, NgsiRequest request, int status, Action<Utf8JsonWriter> write)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = request.ResponseType;
        if (request.ResponseType != MediaTypes.JsonLd)
            AddContextLink(response, request);
        var body = ResponseBuffer.Rent();
        try
        {
            write(body.Json);
            body.Json.Flush();
            response.ContentLength = body.Buffer.WrittenCount;
            await response.Body.WriteAsync(body.Buffer.WrittenMemory, http.RequestAborted);
        }
        finally
        {
            ResponseBuffer.Return(body);
        }
    }

    /// <summary>
    /// A body is buffered to send Content-Length; the buffers (and their JSON writers) are reused, so a response does not
    /// allocate and grow a new buffer by doubling and copying.
    /// </summary>
    private sealed class ResponseBuffer
    {
        private const int MaxPooled = 64;
        private const int MaxPooledBytes = 1 << 20;
        private static readonly ConcurrentQueue<ResponseBuffer> Pool = new();
        private static int _pooled;

        private ResponseBuffer()
        {
            Buffer = new ArrayBufferWriter<byte>(16 * 1024);
            Json = new Utf8JsonWriter(Buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }

        public ArrayBufferWriter<byte> Buffer { get; }

        public Utf8JsonWriter Json { get; }

        public static ResponseBuffer Rent()
        {
            if (!Pool.TryDequeue(out var body))
                return new ResponseBuffer();
            Interlocked.Decrement(ref _pooled);
            return body;
        }

        public static void Return(ResponseBuffer body)
        {
            body.Buffer.ResetWrittenCount();
            body.Json.Reset(body.Buffer);
            if (body.Buffer.Capacity > MaxPooledBytes || Interlocked.Increment(ref _pooled) > MaxPooled)
            {
                if (body.Buffer.Capacity <= MaxPooledBytes)
                    Interlocked.Decrement(ref _pooled);
                body.Json.Dispose();
                return;
            }
            Pool.Enqueue(body);
        }
    }

    /// <summary>Adds the @context Link header beside the Link headers a response may already have (pagination).</summary>
    public static void AddContextLink(HttpResponse response, NgsiRequest request) =>
        response.Headers.Append("Link", $"<{request.ContextUrl ?? JsonLdContext.CoreContextUrl}>; rel=\"{MediaTypes.JsonLdContextRel}\"; type=\"{MediaTypes.JsonLd}\"");

    /// <summary>GeoJSON bodies carry the @context as a member (clause 6.3.15), as JSON-LD bodies do.</summary>
    private static Action<Utf8JsonWriter> GeoJsonContextWriter(NgsiRequest request)
    {
        var url = request.ContextUrl ?? JsonLdContext.CoreContextUrl;
        return json => json.WriteString("@context"u8, url);
    }

    /// <summary>Writes the @context member of a JSON-LD body: the request's own context, otherwise the core context.</summary>
    public static Action<Utf8JsonWriter>? ContextMemberWriter(NgsiRequest request)
    {
        if (request.ResponseType != MediaTypes.JsonLd)
            return null;
        if (request.InlineContext is { } inline)
            return json => { json.WritePropertyName("@context"u8); inline.WriteTo(json); };
        var url = request.ContextUrl ?? JsonLdContext.CoreContextUrl;
        return json => json.WriteString("@context"u8, url);
    }
}
