using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Adapters.Core;

/// <summary>
/// What the adapters could not deliver, kept for an operator: one JSON file per record or entity with the source, the
/// time it was kept, the reason, the original record as received and the entity if there was one. Files are written
/// to a temporary name and then renamed, so a reader (or a crash) never sees half a file; their names sort by time and
/// never collide.
/// </summary>
public sealed class DeadLetterFolder
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly TimeProvider _clock;
    private long _sequence;

    public DeadLetterFolder(string path, TimeProvider clock)
    {
        Path = System.IO.Path.GetFullPath(path);
        _clock = clock;
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Keeps a dead letter and returns the file it is in.</summary>
    /// <param name="entity">The entity that was refused, or null for a record that could not be translated.</param>
    public async Task<string> KeepAsync(string source, string original, string reason, AdapterEntity? entity, CancellationToken cancellationToken)
    {
        var at = _clock.GetUtcNow();
        var letter = new JsonObject
        {
            ["source"] = source,
            ["keptAt"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["reason"] = reason,
            ["entityId"] = entity?.Id,
            ["dataModel"] = entity?.DataModel,
            ["entity"] = entity?.Body.DeepClone(),
            ["original"] = original,
        };
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{at:yyyyMMdd'T'HHmmss.fffffff'Z'}-{Interlocked.Increment(ref _sequence):D8}-{Guid.NewGuid():N}-{Safe(source)}.json");
        var file = System.IO.Path.Combine(Path, name);
        var temporary = System.IO.Path.Combine(Path, "." + name + ".tmp");
        await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await JsonSerializer.SerializeAsync(stream, letter, Indented, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, file);
        return file;
    }

    /// <summary>The dead letters kept, oldest first.</summary>
    public IReadOnlyList<string> Files() =>
        [.. Directory.EnumerateFiles(Path, "*.json").Where(f => !System.IO.Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)];

    private static string Safe(string source) =>
        new([.. source.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
}
