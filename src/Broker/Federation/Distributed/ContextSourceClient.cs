using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Broker.Entities.Representation;
using Broker.Outbound;
using Broker.Problems;
using Microsoft.Extensions.Logging;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Federation.Distributed;

/// <summary>
/// Sends forwarded requests to a registration's endpoint (clause 4.3.6, distributed operations): GET below
/// &lt;endpoint&gt;/ngsi-ld/v1/, the registration's tenant as NGSILD-Tenant, its contextSourceInfo as headers,
/// Accept: application/json, the client's Link header and a Via header naming this broker. Connections pass the outbound
/// address policy (the HTTP client's handler is the policy's). A source that cannot be reached, answers an error or
/// takes longer than <see cref="FederationOptions.Timeout"/>, or whose answer is not entities, gives null, and is logged.
/// </summary>
public sealed partial class ContextSourceClient(IHttpClientFactory clients, FederationOptions options, ILogger<ContextSourceClient> logger)
{
    public const string HttpClientName = "ContextSources";

    private const string TenantHeader = "NGSILD-Tenant";

    /// <summary>
    /// GET &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/>: the entities answered (one entity or an array of
    /// them), read with <paramref name="context"/>; none when the source answers 404; null when the source is missing.
    /// </summary>
    public async Task<IReadOnlyList<Entity>?> GetEntitiesAsync(ContextSourceRegistration registration, string relativePath, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct)
    {
        using var request = ForwardedRequest(registration, HttpMethod.Get, relativePath, forwarding);
        return await ReadAsync(registration, request, (response, deadline) => ReadEntitiesAsync(response, context, deadline), ct);
    }

    /// <summary>The entities of a 2xx answer (one entity or an array of them), read with <paramref name="context"/>; none for a 404.</summary>
    private static async Task<IReadOnlyList<Entity>?> ReadEntitiesAsync(HttpResponseMessage response, JsonLdContext context, CancellationToken deadline)
    {
        if (response.StatusCode == HttpStatusCode.NotFound)
            return [];
        await using var body = await response.Content.ReadAsStreamAsync(deadline);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: deadline);
        return ReadEntities(document.RootElement, context);
    }

    /// <summary>
    /// Sends a forwarded read within <see cref="FederationOptions.Timeout"/> and reads a 2xx or 404 answer with
    /// <paramref name="read"/>; null, logged, when the source cannot be reached, answers too late, answers another
    /// status, or gives an answer <paramref name="read"/> cannot take.
    /// </summary>
    private async Task<T?> ReadAsync<T>(ContextSourceRegistration registration, HttpRequestMessage request,
        Func<HttpResponseMessage, CancellationToken, Task<T?>> read, CancellationToken ct) where T : class
    {
        var target = request.RequestUri!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.Timeout);
        try
        {
            using var client = clients.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (response.StatusCode != HttpStatusCode.NotFound && !response.IsSuccessStatusCode)
            {
                LogSourceFailed(registration.Id, target, $"it answered {(int)response.StatusCode}");
                return null;
            }
            return await read(response, deadline.Token);
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
        catch (NgsiLdException e)
        {
            LogSourceFailed(registration.Id, target, "its answer is not NGSI-LD entities: " + e.Detail);
        }
        return null;
    }

    /// <summary>
    /// Sends a forwarded write (<paramref name="method"/> &lt;endpoint&gt;/ngsi-ld/v1/<paramref name="relativePath"/>, the body
    /// as <paramref name="contentType"/> if there is one) and gives the source's answer; a source that cannot be reached
    /// or does not answer within <see cref="FederationOptions.Timeout"/> gives an answer without status.
    /// </summary>
    public async Task<SourceReply> SendAsync(ContextSourceRegistration registration, HttpMethod method, string relativePath, byte[]? body, string contentType,
        ForwardingContext forwarding, CancellationToken ct)
    {
        using var request = ForwardedRequest(registration, method, relativePath, forwarding);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.Timeout);
        string reason;
        try
        {
            using var client = clients.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var answer = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            JsonElement? answered = null;
            if (answer.Length > 0)
            {
                try
                {
                    using var document = JsonDocument.Parse(answer);
                    answered = document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    answered = null;
                }
            }
            if (!response.IsSuccessStatusCode)
                LogWriteFailed(registration.Id, request.RequestUri!, $"it answered {(int)response.StatusCode}");
            return new SourceReply((int)response.StatusCode, answered, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            reason = $"it did not answer within {options.Timeout}";
        }
        catch (HttpRequestException e)
        {
            reason = e.InnerException is OutboundPolicyException policy ? policy.Message : e.Message;
        }
        LogWriteFailed(registration.Id, request.RequestUri!, reason);
        return new SourceReply(null, null, reason);
    }

    private HttpRequestMessage ForwardedRequest(ContextSourceRegistration registration, HttpMethod method, string relativePath, ForwardingContext forwarding)
    {
        var target = new Uri(registration.Endpoint.ToString().TrimEnd('/') + "/ngsi-ld/v1/" + relativePath);
        var request = new HttpRequestMessage(method, target);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation(ForwardingContext.ViaHeader, forwarding.ForwardedVia(options.ResolvedBrokerId));
        if (forwarding.Link is { } link)
            request.Headers.TryAddWithoutValidation("Link", link);
        if (registration.SourceTenant is { } tenant)
            request.Headers.TryAddWithoutValidation(TenantHeader, tenant);
        foreach (var info in registration.ContextSourceInfo ?? [])
            request.Headers.TryAddWithoutValidation(info.Key, info.Value);
        return request;
    }

    private static List<Entity> ReadEntities(JsonElement root, JsonLdContext context)
    {
        var reader = new EntityReader(context, ReadMode.Received);
        var entities = new List<Entity>();
        if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in root.EnumerateArray())
                entities.Add(reader.ReadEntity(item.Clone()));
        }
        else
        {
            entities.Add(reader.ReadEntity(root.Clone()));
        }
        return entities;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The context source of registration {RegistrationId} at {Target} is left out of a distributed retrieval: {Reason}")]
    private partial void LogSourceFailed(string registrationId, Uri target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A write forwarded to the context source of registration {RegistrationId} at {Target} failed: {Reason}")]
    private partial void LogWriteFailed(string registrationId, Uri target, string reason);
}

/// <summary>A context source's answer to a forwarded write: its status and JSON body, or no status and why it gave none.</summary>
public sealed record SourceReply(int? Status, JsonElement? Body, string? Unreachable)
{
    public bool Succeeded => Status is >= 200 and < 300 and not 207;
}
