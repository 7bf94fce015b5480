using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broker.Entities.Representation;
using Broker.Problems;
using Ontology.JsonLd;

namespace Broker.Contexts;

/// <summary>What the broker knows about one stored @context (clause 5.13.3.4: URL, localId, kind, createdAt, lastUsage, numberOfHits).</summary>
public sealed record ContextInfo(string Url, string LocalId, ContextKind Kind, DateTimeOffset CreatedAt)
{
    /// <summary>When a Cached @context leaves the cache.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public DateTimeOffset? LastUsage { get; init; }

    /// <summary>How many requests used the @context; not counted for the core context, which is built in.</summary>
    public long? NumberOfHits { get; init; }

    public bool IsCore { get; init; }
}

/// <summary>
/// The @context management API (clause 5.13): the Hosted and ImplicitlyCreated @contexts of the <see cref="HostedContextStore"/>, the
/// Cached @contexts of the <see cref="ContextResolver"/>'s document cache, and the built-in core context, listed as Cached.
/// A stored context's URL is the broker's own jsonldContexts URL (<c>{brokerBase}/ngsi-ld/v1/jsonldContexts/{localId}</c>); a Cached one's
/// is the URL it was downloaded from, and its local id a digest of that URL.
/// </summary>
public sealed class ContextRegistry(HostedContextStore stored, ContextResolver resolver, TimeProvider time)
{
    private readonly DateTimeOffset _started = Timestamps.Now(time);

    /// <summary>
    /// Add @context (clause 5.13.2): the body must be an object whose @context is an object or an array of URLs and
    /// objects. The objects are processed once here, so that definitions a JSON-LD processor would reject (a bad
    /// @version, a term defined as a number) are refused now rather than by every request that uses them later.
    /// </summary>
    public async Task<StoredContext> AddHostedAsync(JsonElement body, string tenant, CancellationToken ct)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw NgsiLdException.InvalidRequest("The payload must be a JSON object with an @context member.");
        if (!body.TryGetProperty("@context", out var context))
            throw NgsiLdException.InvalidRequest("The payload has no @context member.");
        switch (context.ValueKind)
        {
            case JsonValueKind.Object:
                await ProcessAsync(context, ct);
                break;
            case JsonValueKind.Array:
                foreach (var item in context.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String)
                    {
                        if (!Uri.TryCreate(item.GetString(), UriKind.Absolute, out _))
                            throw NgsiLdException.BadRequestData($"The @context array holds '{item.GetString()}', which is not an absolute URL.");
                    }
                    else if (item.ValueKind != JsonValueKind.Object)
                    {
                        throw NgsiLdException.BadRequestData($"An @context array may hold URLs and objects, not {item.ValueKind}.");
                    }
                }
                foreach (var item in context.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object)
                        await ProcessAsync(item, ct);
                }
                break;
            default:
                throw NgsiLdException.BadRequestData($"The @context must be an object or an array of URLs and objects, not {context.ValueKind}.");
        }
        return stored.Add(ContextKind.Hosted, Document(context), tenant);
    }

    private async Task ProcessAsync(JsonElement definitions, CancellationToken ct)
    {
        try
        {
            await resolver.ResolveAsync(definitions, null, ct);
        }
        catch (JsonLdContextException e)
        {
            throw e.Kind == JsonLdContextError.ContextNotAvailable
                ? new NgsiLdException(ErrorType.LdContextNotAvailable, e.Message)
                : NgsiLdException.BadRequestData($"The @context is invalid: {e.Message}");
        }
    }

    /// <summary>
    /// Registers an inline @context of a request as ImplicitlyCreated, once per distinct content, so that it can be referred to by URL
    /// (e.g. the jsonldContext of a subscription's notifications).
    /// </summary>
    public StoredContext RegisterImplicit(JsonElement context, string tenant)
    {
        foreach (var existing in stored.All)
        {
            if (existing.Kind == ContextKind.ImplicitlyCreated && existing.Tenant == tenant && JsonElement.DeepEquals(existing.Document.GetProperty("@context"), context))
                return existing;
        }
        return stored.Add(ContextKind.ImplicitlyCreated, Document(context), tenant);
    }

    /// <summary>List @contexts (clause 5.13.3): the core context, the tenant's stored ones by creation, then the cached ones by download.</summary>
    public IReadOnlyList<ContextInfo> List(ContextKind? kind, string brokerBase, string tenant)
    {
        var result = new List<ContextInfo>();
        if (kind is null or ContextKind.Cached)
            result.Add(Core());
        if (kind is null or ContextKind.Hosted or ContextKind.ImplicitlyCreated)
        {
            foreach (var context in stored.All.Where(c => (kind is null || c.Kind == kind) && c.Tenant == tenant).OrderBy(c => c.CreatedAt))
                result.Add(Describe(context, brokerBase));
        }
        if (kind is null or ContextKind.Cached)
        {
            foreach (var document in resolver.CachedDocuments())
                result.Add(Describe(document));
        }
        return result;
    }

    /// <summary>
    /// The @context of a local id, of its URL on this broker, or (Cached) of the URL it was downloaded from; null if
    /// unknown, or stored by another tenant than <paramref name="tenant"/> (null: any tenant's).
    /// </summary>
    public ContextInfo? Find(string contextId, string brokerBase, string? tenant)
    {
        if (JsonLdContext.IsCoreContextUrl(contextId) || contextId == LocalIdOf(JsonLdContext.CoreContextUrl))
            return Core();
        if ((stored.Get(contextId) ?? stored.FindByUrl(contextId)) is { } context)
            return tenant is null || context.Tenant == tenant ? Describe(context, brokerBase) : null;
        if (resolver.FindCachedDocument(contextId) is { } document)
            return Describe(document);
        foreach (var cached in resolver.CachedDocuments())
        {
            if (LocalIdOf(cached.Url) == contextId)
                return Describe(cached);
        }
        return null;
    }

    /// <summary>
    /// Serve @context (clause 5.13.4): the document of a Hosted or ImplicitlyCreated @context, to anyone who has its URL
    /// (JSON-LD processors fetch it without a tenant); a Cached one is only described.
    /// </summary>
    public JsonElement Serve(string contextId, string brokerBase)
    {
        var info = Find(contextId, brokerBase, tenant: null) ?? throw NotFound(contextId);
        if (info.Kind == ContextKind.Cached)
        {
            throw new NgsiLdException(ErrorType.OperationNotSupported,
                $"The @context '{contextId}' is Cached: only Hosted and ImplicitlyCreated @contexts are served; details=true describes it, and it is available at {info.Url}.");
        }
        return stored.Get(info.LocalId)?.Document ?? throw NotFound(contextId);
    }

    /// <summary>
    /// Delete and reload @context (clause 5.13.5). Hosted and ImplicitlyCreated: removed (reload is an error). Cached: evicted, or with reload
    /// downloaded again (503 LdContextNotAvailable when that fails, and the cached copy stays). The core context is built in: it cannot be
    /// deleted, and reloading it changes nothing.
    /// </summary>
    public async Task DeleteAsync(string contextId, bool reload, string brokerBase, string tenant, CancellationToken ct)
    {
        var info = Find(contextId, brokerBase, tenant);
        if (info is null)
        {
            if (reload && !Uri.TryCreate(contextId, UriKind.Absolute, out _))
                throw NgsiLdException.BadRequestData($"reload=true needs a Cached @context, identified by its URL or local id; '{contextId}' is neither.");
            throw NotFound(contextId);
        }
        if (info.IsCore)
        {
            if (!reload)
                throw NgsiLdException.BadRequestData("The NGSI-LD core @context cannot be deleted.");
            return;
        }
        if (info.Kind != ContextKind.Cached)
        {
            if (reload)
                throw NgsiLdException.BadRequestData($"The @context '{contextId}' is {info.Kind}: only Cached @contexts can be reloaded.");
            stored.Remove(info.LocalId);
            resolver.InvalidateDependents(info.Url);
            return;
        }
        if (!reload)
        {
            resolver.EvictDocument(info.Url);
            return;
        }
        try
        {
            await resolver.ReloadDocumentAsync(info.Url, ct);
        }
        catch (JsonLdContextException e)
        {
            throw new NgsiLdException(ErrorType.LdContextNotAvailable, $"The @context could not be downloaded again, the cached copy is kept: {e.Message}");
        }
    }

    /// <summary>The URL of a stored @context on this broker.</summary>
    public static string UrlOf(string localId, string brokerBase) => brokerBase.TrimEnd('/') + HostedContextStore.ResourcePath + localId;

    /// <summary>The local id of a Cached @context: a digest of its URL, stable across restarts.</summary>
    public static string LocalIdOf(string url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..32];

    private static NgsiLdException NotFound(string contextId) => NgsiLdException.NotFound($"There is no @context '{contextId}'.");

    private static JsonElement Document(JsonElement context)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WritePropertyName("@context"u8);
            context.WriteTo(json);
            json.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    private ContextInfo Core() => new(JsonLdContext.CoreContextUrl, LocalIdOf(JsonLdContext.CoreContextUrl), ContextKind.Cached, _started) { IsCore = true };

    private static ContextInfo Describe(StoredContext context, string brokerBase) =>
        new(UrlOf(context.LocalId, brokerBase), context.LocalId, context.Kind, context.CreatedAt) { LastUsage = context.LastUsage, NumberOfHits = context.Hits };

    private static ContextInfo Describe(CachedContextDocument document) =>
        new(document.Url, LocalIdOf(document.Url), ContextKind.Cached, document.FetchedAt)
        {
            ExpiresAt = document.ExpiresAt,
            LastUsage = document.LastUsedAt,
            NumberOfHits = document.Hits,
        };
}
