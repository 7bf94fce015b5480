using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Ontology.JsonLd;

namespace Broker.Contexts;

/// <summary>The kinds of stored @contexts (clause 5.13.1).</summary>
public enum ContextKind
{
    /// <summary>A remote @context the broker downloaded (Link header, or a URL inside another @context).</summary>
    Cached,

    /// <summary>An @context a client added with POST /jsonldContexts (clause 5.13.2).</summary>
    Hosted,

    /// <summary>An @context the broker created from an inline @context of a request, to be able to refer to it by URL.</summary>
    ImplicitlyCreated,
}

/// <summary>
/// A Hosted or ImplicitlyCreated @context: the document as given (an object with an @context member), the tenant that
/// created it (which alone lists, describes and deletes it; anyone who has its URL can fetch it), and its use.
/// </summary>
public sealed class StoredContext(string localId, ContextKind kind, DateTimeOffset createdAt, JsonElement document, string tenant)
{
    public string LocalId { get; } = localId;

    /// <summary>The tenant that created it ("" for the default tenant, and for contexts stored before tenants owned them).</summary>
    public string Tenant { get; } = tenant;

    public ContextKind Kind { get; } = kind;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>The whole document: <c>{"@context": ...}</c>.</summary>
    public JsonElement Document { get; } = document;

    private readonly ContextUsage _usage = new();

    public long Hits => _usage.Hits;

    public DateTimeOffset? LastUsage => _usage.LastUsed;

    internal void RecordUse(DateTimeOffset now) => _usage.Record(now);
}

/// <summary>
/// The Hosted and ImplicitlyCreated @contexts (clause 5.13), kept in memory and persisted in <c>{Storage:DataPath}/contexts/</c>, one JSON
/// file per context written atomically (temporary file, flushed to disk, renamed over the target), and loaded at start, so a restart loses
/// none. Use counts are not persisted. To the <see cref="ContextResolver"/> it serves the documents by their URL
/// <c>http(s)://{any host}[/prefix]/ngsi-ld/v1/jsonldContexts/{localId}</c>, without an HTTP round trip.
/// </summary>
public sealed partial class HostedContextStore : ILocalContextDocuments
{
    public const string ResourcePath = "/ngsi-ld/v1/jsonldContexts/";

    private readonly ConcurrentDictionary<string, StoredContext> _contexts = new(StringComparer.Ordinal);
    private readonly string _folder;
    private readonly TimeProvider _time;
    private readonly Lock _writeLock = new();

    public HostedContextStore(string dataPath, TimeProvider time, ILogger<HostedContextStore> logger)
    {
        ArgumentNullException.ThrowIfNull(dataPath);
        _time = time;
        _folder = Path.Combine(dataPath, "contexts");
        Directory.CreateDirectory(_folder);
        foreach (var file in Directory.EnumerateFiles(_folder, "*.json"))
        {
            try
            {
                var stored = Read(File.ReadAllBytes(file));
                _contexts[stored.LocalId] = stored;
            }
            catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                LogUnreadable(logger, e, file);
            }
        }
        LogLoaded(logger, _contexts.Count, _folder);
    }

    public IEnumerable<StoredContext> All => _contexts.Values;

    public StoredContext? Get(string localId) => _contexts.GetValueOrDefault(localId);

    /// <summary>Stores a new context under a fresh local id, on disk before it is visible.</summary>
    public StoredContext Add(ContextKind kind, JsonElement document, string tenant)
    {
        var stored = new StoredContext(Guid.NewGuid().ToString("N"), kind, Entities.Representation.Timestamps.Now(_time), document.Clone(), tenant);
        Write(stored);
        _contexts[stored.LocalId] = stored;
        return stored;
    }

    public bool Remove(string localId)
    {
        if (!_contexts.TryRemove(localId, out _))
            return false;
        lock (_writeLock)
            File.Delete(FilePath(localId));
        return true;
    }

    /// <summary>The local id in a URL of this broker's jsonldContexts resource (any host, any prefix), if it names a stored context.</summary>
    public StoredContext? FindByUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return null;
        var path = uri.AbsolutePath;
        var at = path.LastIndexOf(ResourcePath, StringComparison.Ordinal);
        if (at < 0)
            return null;
        var localId = Uri.UnescapeDataString(path[(at + ResourcePath.Length)..]);
        return localId.Length == 0 || localId.Contains('/', StringComparison.Ordinal) ? null : Get(localId);
    }

    JsonElement? ILocalContextDocuments.Find(string url) => FindByUrl(url)?.Document;

    bool ILocalContextDocuments.RecordUse(string url)
    {
        var stored = FindByUrl(url);
        stored?.RecordUse(_time.GetUtcNow());
        return stored is not null;
    }

    private string FilePath(string localId) => Path.Combine(_folder, localId + ".json");

    private void Write(StoredContext stored)
    {
        var target = FilePath(stored.LocalId);
        var temporary = target + ".tmp";
        lock (_writeLock)
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using (var json = new Utf8JsonWriter(stream))
                {
                    json.WriteStartObject();
                    json.WriteString("localId"u8, stored.LocalId);
                    json.WriteString("kind"u8, stored.Kind.ToString());
                    json.WriteString("createdAt"u8, stored.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
                    json.WriteString("tenant"u8, stored.Tenant);
                    json.WritePropertyName("document"u8);
                    stored.Document.WriteTo(json);
                    json.WriteEndObject();
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
    }

    private static StoredContext Read(byte[] utf8)
    {
        using var file = JsonDocument.Parse(utf8);
        var root = file.RootElement;
        return new StoredContext(
            root.GetProperty("localId").GetString() ?? throw new InvalidOperationException("localId is null"),
            Enum.Parse<ContextKind>(root.GetProperty("kind").GetString() ?? ""),
            DateTimeOffset.Parse(root.GetProperty("createdAt").GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            root.GetProperty("document").Clone(),
            root.TryGetProperty("tenant", out var tenant) ? tenant.GetString() ?? "" : "");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} hosted @contexts from {Folder}")]
    private static partial void LogLoaded(ILogger logger, int count, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped the unreadable @context file {File}")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string file);
}
