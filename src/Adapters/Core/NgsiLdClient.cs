using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ontology.SmartDataModels;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Adapters.Core;

/// <summary>The <c>Broker</c> section of the configuration: where entities go and how hard to try.</summary>
public sealed class NgsiLdClientOptions
{
    public const string SectionName = "Broker";

    /// <summary>The broker's base URL, e.g. http://localhost:8080 (the API is under /ngsi-ld/v1/).</summary>
    public Uri? Url { get; set; }

    /// <summary>Sent as NGSILD-Tenant when set.</summary>
    public string? Tenant { get; set; }

    /// <summary>Entities per upsert request.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Retries after the first attempt, on network errors, timeouts, 5xx and 429.</summary>
    public int Retries { get; set; } = 6;

    /// <summary>The first retry's delay; each further one doubles it, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait a Retry-After header may ask for.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A published @context URL per data model (e.g. "dataModel.Parking" → its smartdatamodels.org context), for a broker
    /// that cannot host contexts; a data model without one has its embedded @context registered at the broker.
    /// </summary>
    public Dictionary<string, Uri> Contexts { get; set; } = [];
}

/// <summary>Entities the broker stored, and those it refused with its reason.</summary>
public sealed record UpsertResult(IReadOnlyList<string> Succeeded, IReadOnlyList<DeadLetteredEntity> Refused);

/// <summary>The broker could not be reached (or kept failing) after every retry.</summary>
public sealed class BrokerUnavailableException(string message, Exception? inner = null) : HttpRequestException(message, inner);

/// <summary>
/// Writes entities to an NGSI-LD broker through the standard API (ETSI GS CIM 009): batch upsert (clause 6.15) in
/// chunks of <see cref="NgsiLdClientOptions.BatchSize"/>, the data model's @context given by a Link header (clause
/// 6.3.5), registered once per data model with the @context management API (clause 5.13.2) unless a URL is configured.
/// Reads, for a source that must know what the broker holds before it writes, through the query of entities by POST.
/// </summary>
public sealed class NgsiLdClient
{
    private const string UpsertPath = "ngsi-ld/v1/entityOperations/upsert?options=update";
    private const string ContextsPath = "ngsi-ld/v1/jsonldContexts";
    private const string QueryPath = "ngsi-ld/v1/entityOperations/query";
    private const string NonexistentTenant = "https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant";

    private readonly HttpClient _http;
    private readonly NgsiLdClientOptions _options;
    private readonly Uri _base;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _contextUrls = new(StringComparer.Ordinal);

    public NgsiLdClient(HttpClient http, NgsiLdClientOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Url is null || !options.Url.IsAbsoluteUri)
            throw new InvalidOperationException("Broker:Url must be the broker's absolute base URL, e.g. http://localhost:8080");
        if (options.BatchSize < 1)
            throw new InvalidOperationException("Broker:BatchSize must be at least 1");
        _http = http;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _options = options;
        _base = options.Url.AbsoluteUri.EndsWith('/') ? options.Url : new Uri(options.Url.AbsoluteUri + "/");
        _pipeline = Pipeline(options, time ?? TimeProvider.System);
    }

    public Uri BaseAddress => _base;

    /// <summary>
    /// Upserts the entities, one request per data model and chunk: the data models side by side, the chunks of each
    /// in order. <c>options=update</c>: an entity that exists keeps the attributes this request does not carry (the
    /// spec's default replaces the whole entity, so a status event would erase what an uplink wrote).
    /// </summary>
    /// <exception cref="BrokerUnavailableException">A request still failed after every retry; entities of requests answered before are stored.</exception>
    public async Task<UpsertResult> UpsertAsync(IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var groups = entities.GroupBy(entity => entity.DataModel, StringComparer.Ordinal).ToList();
        var results = await Task.WhenAll(groups.Select(group => UpsertDataModelAsync(group.Key, [.. group], cancellationToken)));
        return results.Length == 1 ? results[0] : new UpsertResult([.. results.SelectMany(r => r.Succeeded)], [.. results.SelectMany(r => r.Refused)]);
    }

    private async Task<UpsertResult> UpsertDataModelAsync(string dataModel, AdapterEntity[] entities, CancellationToken cancellationToken)
    {
        var succeeded = new List<string>(entities.Length);
        var refused = new List<DeadLetteredEntity>();
        var contextUrl = await ContextUrlAsync(dataModel, cancellationToken);
        foreach (var chunk in entities.Chunk(_options.BatchSize))
            await UpsertChunkAsync(chunk, contextUrl, succeeded, refused, cancellationToken);
        return new UpsertResult(succeeded, refused);
    }

    private async Task UpsertChunkAsync(AdapterEntity[] chunk, string contextUrl, List<string> succeeded, List<DeadLetteredEntity> refused, CancellationToken cancellationToken)
    {
        var body = Serialize(chunk);
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, UpsertPath)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("Link", $"<{contextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
            return request;
        }, "upsert", cancellationToken);

        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NoContent)
        {
            foreach (var entity in chunk)
                succeeded.Add(entity.Id);
            return;
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.MultiStatus && BatchResult(text) is { } result)
        {
            var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
            string? unattributed = null;
            foreach (var (entityId, reason) in result.Errors)
            {
                if (entityId is null)
                    unattributed ??= reason;
                else
                    reasons.TryAdd(entityId, reason);
            }
            foreach (var entity in chunk)
            {
                if (reasons.TryGetValue(entity.Id, out var reason))
                    refused.Add(new DeadLetteredEntity(entity.Id, reason));
                else if (result.Success.Contains(entity.Id))
                    succeeded.Add(entity.Id);
                else
                    refused.Add(new DeadLetteredEntity(entity.Id, unattributed ?? "the broker's 207 answer listed this entity neither as a success nor as an error"));
            }
            return;
        }
        var whole = $"the broker refused the batch: {Describe(response, text)}";
        foreach (var entity in chunk)
            refused.Add(new DeadLetteredEntity(entity.Id, whole));
    }

    /// <summary>
    /// The <paramref name="attrs"/> of the entities of <paramref name="type"/> with these ids, as the broker holds them
    /// (normalized, the terms of the data model's @context): Query entities via POST (clause 6.23), one Query (clause
    /// 5.2.23) of one entity selector per id for each chunk of <see cref="NgsiLdClientOptions.BatchSize"/> ids. An
    /// entity the broker does not have is not in the answer; one without any of the attributes may be absent or come
    /// with its id and type only. A tenant that does not exist yet (a tenant comes with its first write) has no
    /// entities.
    /// </summary>
    /// <exception cref="BrokerUnavailableException">A request still failed after every retry.</exception>
    /// <exception cref="HttpRequestException">The broker refused the query, or its answer is not an array of entities.</exception>
    public async Task<IReadOnlyList<JsonObject>> QueryAsync(string dataModel, string type, IReadOnlyCollection<string> ids, IReadOnlyList<string> attrs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(attrs);
        var found = new List<JsonObject>(ids.Count);
        if (ids.Count == 0)
            return found;
        var contextUrl = await ContextUrlAsync(dataModel, cancellationToken);
        foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(_options.BatchSize))
        {
            var body = QueryBody(type, chunk, attrs);
            using var response = await SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, string.Create(CultureInfo.InvariantCulture, $"{QueryPath}?limit={chunk.Length}")))
                {
                    Content = new ByteArrayContent(body),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                request.Headers.TryAddWithoutValidation("Link", $"<{contextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
                return request;
            }, "query", cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound && ProblemType(text) == NonexistentTenant)
                return found;
            if (response.StatusCode != HttpStatusCode.OK)
                throw new HttpRequestException($"the broker refused the query: {Describe(response, text)}", null, response.StatusCode);
            found.AddRange(Entities(text) ?? throw new HttpRequestException($"the broker's answer to the query is not an array of entities: {(text.Length > 500 ? text[..500] + "…" : text)}"));
        }
        return found;
    }

    private static byte[] QueryBody(string type, string[] ids, IReadOnlyList<string> attrs)
    {
        var buffer = new ArrayBufferWriter<byte>(ids.Length * 96);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "Query"u8);
            json.WriteStartArray("entities"u8);
            foreach (var id in ids)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, id);
                json.WriteString("type"u8, type);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("attrs"u8);
            foreach (var attr in attrs)
                json.WriteStringValue(attr);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static List<JsonObject>? Entities(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is not JsonArray array)
                return null;
            var entities = new List<JsonObject>(array.Count);
            foreach (var item in array)
            {
                if (item is not JsonObject entity || entity["id"] is not JsonValue)
                    return null;
                entities.Add(entity);
            }
            return entities;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? ProblemType(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String
                ? type.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The URL that the Link header of a data model's requests names: configured, or its embedded @context registered at the broker.</summary>
    private async Task<string> ContextUrlAsync(string dataModel, CancellationToken cancellationToken)
    {
        if (_options.Contexts.TryGetValue(dataModel, out var configured))
            return configured.AbsoluteUri;
        var registration = _contextUrls.GetOrAdd(dataModel, model => new Lazy<Task<string>>(() => RegisterContextAsync(model, CancellationToken.None)));
        try
        {
            return await registration.Value.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _contextUrls.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(dataModel, registration));
            throw;
        }
    }

    private async Task<string> RegisterContextAsync(string dataModel, CancellationToken cancellationToken)
    {
        var document = SmartDataModelCatalog.Context(dataModel)
            ?? throw new InvalidOperationException($"the data model {dataModel} has no embedded @context and Broker:Contexts names none");
        var body = Encoding.UTF8.GetBytes(document);
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, ContextsPath)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return request;
        }, $"registering the @context of {dataModel}", cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is not { } location)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new BrokerUnavailableException($"the broker did not register the @context of {dataModel}: {Describe(response, text)}");
        }
        return (location.IsAbsoluteUri ? location : new Uri(_base, location)).AbsoluteUri;
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, string what, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(async token =>
            {
                using var message = request();
                if (_options.Tenant is { Length: > 0 } tenant)
                    message.Headers.TryAddWithoutValidation("NGSILD-Tenant", tenant);
                return await _http.SendAsync(message, token);
            }, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            throw new BrokerUnavailableException($"{what}: the broker at {_base} is not reachable after {_options.Retries + 1} attempts: {e.Message}", e);
        }
        if (IsTransient(response))
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Dispose();
            throw new BrokerUnavailableException($"{what}: the broker at {_base} still answers {Describe(response, text)} after {_options.Retries + 1} attempts");
        }
        return response;
    }

    private static bool IsTransient(HttpResponseMessage response) =>
        (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests;

    private static ResiliencePipeline<HttpResponseMessage> Pipeline(NgsiLdClientOptions options, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (options.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(IsTransient),
                MaxRetryAttempts = options.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                DelayGenerator = arguments => ValueTask.FromResult(RetryAfter(arguments.Outcome.Result, time, options.MaxRetryAfter)),
            });
        }
        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <summary>The wait a 429 or 503 asks for (Retry-After as seconds or a date), at most <paramref name="max"/>; null for the exponential backoff.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider time, TimeSpan max)
    {
        if (response?.Headers.RetryAfter is not { } retryAfter)
            return null;
        var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - time.GetUtcNow() : null);
        if (wait is not { } value)
            return null;
        return value < TimeSpan.Zero ? TimeSpan.Zero : value > max ? max : value;
    }

    private static byte[] Serialize(AdapterEntity[] chunk)
    {
        var buffer = new ArrayBufferWriter<byte>(chunk.Length * 512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var entity in chunk)
                entity.Body.WriteTo(json);
            json.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private sealed record BatchOperationResult(HashSet<string> Success, List<(string? EntityId, string Reason)> Errors);

    /// <summary>The BatchOperationResult of a 207 (clause 5.2.16): success ids, and errors with an entityId and a ProblemDetails.</summary>
    private static BatchOperationResult? BatchResult(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return null;
            var success = new HashSet<string>(StringComparer.Ordinal);
            if (root.TryGetProperty("success"u8, out var ids) && ids.ValueKind == JsonValueKind.Array)
            {
                foreach (var id in ids.EnumerateArray())
                {
                    if (id.ValueKind == JsonValueKind.String)
                        success.Add(id.GetString()!);
                }
            }
            var errors = new List<(string?, string)>();
            if (root.TryGetProperty("errors"u8, out var items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in items.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object)
                        continue;
                    var entityId = item.TryGetProperty("entityId"u8, out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                    var reason = item.TryGetProperty("error"u8, out var problem) ? Problem(problem) : "the broker gave no reason";
                    errors.Add((entityId, $"the broker refused the entity: {reason}"));
                }
            }
            return new BatchOperationResult(success, errors);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Describe(HttpResponseMessage response, string text)
    {
        var status = string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {response.ReasonPhrase}");
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                return $"{status}: {Problem(document.RootElement)}";
        }
        catch (JsonException)
        {
        }
        return text.Length == 0 ? status : $"{status}: {(text.Length > 500 ? text[..500] + "…" : text)}";
    }

    /// <summary>A ProblemDetails (type, title, detail) as one line.</summary>
    private static string Problem(JsonElement problem)
    {
        if (problem.ValueKind != JsonValueKind.Object)
            return problem.ToString();
        string? Text(string name) => problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var parts = new[] { Text("title"), Text("detail") }.Where(part => !string.IsNullOrEmpty(part));
        var line = string.Join(": ", parts);
        return Text("type") is { } type ? $"{line} ({type})" : line;
    }
}
