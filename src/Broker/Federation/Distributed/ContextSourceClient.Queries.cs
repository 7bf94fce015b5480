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
        var answer = await SendAsync(registration, HttpMethod.Post, relativePath, payload, forwarding, ct);
        if (answer is null)
            return null;
        if (answer.Body is not { } body)
            return [];
        try
        {
            return ReadEntities(body, context);
        }
        catch (NgsiLdException e)
        {
            LogSourceFailed(registration.Id, Target(registration, relativePath), "its answer is not NGSI-LD entities: " + e.Detail);
            return null;
        }
    }

    /// <summary>GET &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/>: the JSON answered, or null when the source is missing.</summary>
    public Task<SourceAnswer?> GetJsonAsync(ContextSourceRegistration registration, string relativePath, ForwardingContext forwarding, CancellationToken ct) =>
        SendAsync(registration, HttpMethod.Get, relativePath, payload: null, forwarding, ct);

    /// <summary>POST &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/> with <paramref name="payload"/>: the JSON answered, or null when the source is missing.</summary>
    public Task<SourceAnswer?> PostJsonAsync(ContextSourceRegistration registration, string relativePath, JsonObject payload, ForwardingContext forwarding, CancellationToken ct) =>
        SendAsync(registration, HttpMethod.Post, relativePath, payload, forwarding, ct);

    /// <summary>
    /// GET &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/> accepting <paramref name="accept"/>: the JSON array the
    /// source answered, as it answered it, or null when the source is missing or its answer is not an array.
    /// </summary>
    public async Task<byte[]?> GetVerbatimArrayAsync(ContextSourceRegistration registration, string relativePath, string accept, ForwardingContext forwarding,
        CancellationToken ct)
    {
        using var request = ForwardedRequest(registration, HttpMethod.Get, relativePath, forwarding);
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        var target = request.RequestUri!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.Timeout);
        try
        {
            using var client = clients.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                LogSourceFailed(registration.Id, target, $"it answered {(int)response.StatusCode}");
                return null;
            }
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            var first = Array.FindIndex(body, b => b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'));
            if (first < 0 || body[first] != (byte)'[')
            {
                LogSourceFailed(registration.Id, target, "its answer is not a JSON array");
                return null;
            }
            return body;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogSourceFailed(registration.Id, target, $"it did not answer within {options.Timeout}");
        }
        catch (HttpRequestException e)
        {
            LogSourceFailed(registration.Id, target, e.InnerException is OutboundPolicyException policy ? policy.Message : e.Message);
        }
        return null;
    }

    private static Uri Target(ContextSourceRegistration registration, string relativePath) =>
        new(registration.Endpoint.ToString().TrimEnd('/') + "/ngsi-ld/v1/" + relativePath);

    private async Task<SourceAnswer?> SendAsync(ContextSourceRegistration registration, HttpMethod method, string relativePath, JsonObject? payload,
        ForwardingContext forwarding, CancellationToken ct)
    {
        var target = Target(registration, relativePath);
        using var request = new HttpRequestMessage(method, target);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation(ForwardingContext.ViaHeader, forwarding.ForwardedVia(options.ResolvedBrokerId));
        var ownContext = payload?.ContainsKey("@context") ?? false;
        if (forwarding.Link is { } link && !ownContext)
            request.Headers.TryAddWithoutValidation("Link", link);
        if (registration.SourceTenant is { } tenant)
            request.Headers.TryAddWithoutValidation(TenantHeader, tenant);
        foreach (var info in registration.ContextSourceInfo ?? [])
            request.Headers.TryAddWithoutValidation(info.Key, info.Value);
        if (payload is not null)
            request.Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, ownContext ? "application/ld+json" : "application/json");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.Timeout);
        try
        {
            using var client = clients.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return new SourceAnswer(null);
            if (!response.IsSuccessStatusCode)
            {
                LogSourceFailed(registration.Id, target, $"it answered {(int)response.StatusCode}");
                return null;
            }
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: deadline.Token);
            return new SourceAnswer(document.RootElement.Clone());
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogSourceFailed(registration.Id, target, $"it did not answer within {options.Timeout}");
        }
        catch (HttpRequestException e)
        {
            LogSourceFailed(registration.Id, target, e.InnerException is OutboundPolicyException policy ? policy.Message : e.Message);
        }
        catch (JsonException e)
        {
            LogSourceFailed(registration.Id, target, "its answer is not JSON: " + e.Message);
        }
        return null;
    }
}
