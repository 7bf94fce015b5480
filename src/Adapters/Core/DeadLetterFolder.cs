using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Adapters.Core;

/// <summary>A record or entity that did not reach the broker, and why.</summary>
/// <param name="Original">The source record as received.</param>
/// <param name="Entity">The entity translated from it, if the record translated.</param>
public sealed record DeadLetter(string Source, DateTimeOffset ReceivedAt, string Reason, string Original, AdapterEntity? Entity = null);

/// <summary>
/// The dead-letter folder (<c>DeadLetters:Path</c>): one JSON file per dead letter, written to a temporary file and
/// moved into place, so a reader never sees half a letter. Names start with the UTC time and a sequence number, so
/// they sort in the order written; a random suffix keeps two processes sharing the folder from colliding.
/// </summary>
public sealed class DeadLetterFolder
{
    public const string Extension = ".json";

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TimeProvider _time;
    private long _sequence;

    public DeadLetterFolder(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The dead letters in the folder, oldest first.</summary>
    public IEnumerable<string> Files() =>
        Directory.EnumerateFiles(Path, "*" + Extension).Order(StringComparer.Ordinal);

    /// <returns>The path of the file written.</returns>
    public async Task<string> WriteAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{_time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmss'.'fffffff'Z'}-{Interlocked.Increment(ref _sequence):D10}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        var target = System.IO.Path.Combine(Path, name + Extension);
        var temporary = System.IO.Path.Combine(Path, name + ".tmp");
        await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await using (var json = new Utf8JsonWriter(stream, Indented))
                Write(json, letter);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, target, overwrite: false);
        return target;
    }

    private static void Write(Utf8JsonWriter json, DeadLetter letter)
    {
        json.WriteStartObject();
        json.WriteString("source"u8, letter.Source);
        json.WriteString("receivedAt"u8, letter.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        json.WriteString("reason"u8, letter.Reason);
        json.WriteString("original"u8, letter.Original);
        if (letter.Entity is { } entity)
        {
            json.WriteString("entityId"u8, entity.Body["id"] is JsonValue id && id.TryGetValue<string>(out var value) ? value : null);
            json.WriteString("dataModel"u8, entity.DataModel);
            json.WritePropertyName("entity"u8);
            entity.Body.WriteTo(json);
        }
        json.WriteEndObject();
    }
}
