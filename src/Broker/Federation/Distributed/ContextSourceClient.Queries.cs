using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Outbound;
using Broker.Problems;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Federation.Distributed;

/// <summary>The answer of a context source that answered: its JSON body, or null when it answered 404.</summary>
public sealed record SourceAnswer(JsonElement? Body);

public sealed partial class ContextSourceClient
{
    /// <summary>
    /// POST &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/> with a Query payload (queryBatch): the entities
    /// answered, read with <paramref name="context"/>; none when the source answers 404; null when the source is missing.
    /// A payload with its own @context is sent as application/ld+json, without the Link header.
    /// </summary>
    public async Task<IReadOnlyList<Entity>?> PostQueryAsync(ContextSourceRegistration registration, string relativePath, JsonObject payload, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct)
    {
        using var request = QueryRequest(registration, HttpMethod.Post, relativePath, payload, forwarding);
        return await ReadAsync(registration, request, (response, deadline) => ReadEntitiesAsync(response, context, deadline), ct);
    }

    /// <summary>GET &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/>: the JSON answered, or null when the source is missing.</summary>
    public async Task<SourceAnswer?> GetJsonAsync(ContextSourceRegistration registration, string relativePath, ForwardingContext forwarding, CancellationToken ct)
    {
        using var request = QueryRequest(registration, HttpMethod.Get, relativePath, payload: null, forwarding);
        return await ReadAsync(registration, request, ReadJsonAsync, ct);
    }

    /// <summary>POST &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/> with <paramref name="payload"/>: the JSON answered, or null when the source is missing.</summary>
    public async Task<SourceAnswer?> PostJsonAsync(ContextSourceRegistration registration, string relativePath, JsonObject payload, ForwardingContext forwarding, CancellationToken ct)
    {
        using var request = QueryRequest(registration, HttpMethod.Post, relativePath, payload, forwarding);
        return await ReadAsync(registration, request, ReadJsonAsync, ct);
    }

    /// <summary>
    /// GET &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/> accepting <paramref name="accept"/>: the JSON array the
    /// source answered, as it answered it (an empty one for 404), or null when the source is missing or its answer is
    /// not an array.
    /// </summary>
    public async Task<byte[]?> GetVerbatimArrayAsync(ContextSourceRegistration registration, string relativePath, string accept, ForwardingContext forwarding,
        CancellationToken ct)
    {
        using var request = ForwardedRequest(registration, HttpMethod.Get, relativePath, forwarding);
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return await ReadAsync(registration, request, async (response, deadline) =>
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                return "[]"u8.ToArray();
            var body = await response.Content.ReadAsByteArrayAsync(deadline);
            var first = Array.FindIndex(body, b => b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'));
            return first >= 0 && body[first] == (byte)'[' ? body : throw new JsonException("it is not a JSON array.");
        }, ct);
    }

    private static async Task<SourceAnswer?> ReadJsonAsync(HttpResponseMessage response, CancellationToken deadline)
    {
        if (response.StatusCode == HttpStatusCode.NotFound)
            return new SourceAnswer(null);
        await using var body = await response.Content.ReadAsStreamAsync(deadline);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: deadline);
        return new SourceAnswer(document.RootElement.Clone());
    }

    /// <summary>A forwarded read with a payload of its own: one with its own @context goes as JSON-LD, without the Link header.</summary>
    private HttpRequestMessage QueryRequest(ContextSourceRegistration registration, HttpMethod method, string relativePath, JsonObject? payload,
        ForwardingContext forwarding)
    {
        var ownContext = payload?.ContainsKey("@context") ?? false;
        var request = ForwardedRequest(registration, method, relativePath, ownContext ? forwarding with { Link = null } : forwarding);
        if (payload is not null)
            request.Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, ownContext ? "application/ld+json" : "application/json");
        return request;
    }
}
