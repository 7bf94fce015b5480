using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Museums;

/// <summary>
/// How far an import got: the files done and, in the current file, the records up to which every batch was
/// acknowledged by the sink. Written after each batch, atomically (a temporary file renamed over the old one), so an
/// interruption at any moment leaves the last complete checkpoint.
/// </summary>
/// <param name="Input">The file or folder imported, as a full path.</param>
internal sealed record LidoImportCheckpoint(string Input, IReadOnlyList<CheckpointFile> Completed, CheckpointFile? Current)
{
    public static LidoImportCheckpoint? Load(string path)
    {
        if (!File.Exists(path))
            return null;
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, CheckpointJson.Default.LidoImportCheckpoint)
            ?? throw new InvalidDataException($"{path}: not an import checkpoint");
    }

    public void Save(string path)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, this, CheckpointJson.Default.LidoImportCheckpoint);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}

/// <param name="Length">The file's length and <paramref name="LastWriteTimeUtc"/> when it was read: a file changed since is not resumed.</param>
/// <param name="RecordsDone">Records (by position in the file) whose batch the sink acknowledged.</param>
internal sealed record CheckpointFile(string Path, long Length, DateTime LastWriteTimeUtc, int RecordsDone)
{
    public static CheckpointFile Of(FileInfo file, int recordsDone) => new(file.FullName, file.Length, file.LastWriteTimeUtc, recordsDone);

    public bool IsSameVersion(FileInfo file) => file.Length == Length && file.LastWriteTimeUtc == LastWriteTimeUtc;
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LidoImportCheckpoint))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
