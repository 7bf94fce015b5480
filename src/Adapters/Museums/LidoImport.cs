using System.Xml.Linq;
using Adapters.Core;

namespace Adapters.Museums;

/// <param name="Input">A LIDO file, or a folder whose *.xml files (recursively, in ordinal order of their paths) are imported.</param>
/// <param name="CheckpointPath">Where progress is kept for <paramref name="Resume"/>.</param>
/// <param name="Resume">Continue after the last acknowledged batch of the checkpoint instead of starting again.</param>
public sealed record LidoImportOptions(string Input, string CheckpointPath, int BatchSize = 1000, bool Resume = false);

/// <summary>A record that was not imported, or a file that could not be read to its end.</summary>
/// <param name="Position">1-based position of the record in its file (for a file problem: the record being read).</param>
public sealed record LidoRecordProblem(string File, int Position, string? LidoRecId, string Reason);

/// <param name="BytesRead">Of all files, as far as the reader got (an estimate: the reader reads ahead).</param>
/// <param name="Records">Records read in this run.</param>
public sealed record LidoImportProgress(string File, long BytesRead, long BytesTotal, long Records, TimeSpan Elapsed);

public interface ILidoImportProgress
{
    void Report(LidoImportProgress progress);
}

/// <param name="RecordsSkipped">Records a resumed import did not read again (acknowledged in an earlier run).</param>
/// <param name="RecordsSubmitted">Records translated and submitted in this run.</param>
public sealed record LidoImportReport(
    int Files,
    long RecordsRead,
    long RecordsSkipped,
    long RecordsSubmitted,
    long EntitiesAccepted,
    IReadOnlyList<DeadLetteredEntity> DeadLettered,
    IReadOnlyList<LidoRecordProblem> Problems,
    TimeSpan Elapsed);

/// <summary>
/// Imports LIDO files of any size: streams the records, submits their entities in batches of
/// <see cref="LidoImportOptions.BatchSize"/> records, keeps untranslatable records in the dead letters (after the batch
/// they belong to is submitted) and writes a checkpoint after each batch, so that <see cref="LidoImportOptions.Resume"/>
/// neither submits an acknowledged batch again nor loses a record.
/// </summary>
/// <param name="mapping">The mapping file's museums section (positions of museums whose records carry none).</param>
public sealed class LidoImport(IEntitySink sink, LidoImportOptions options, ILidoImportProgress? progress = null, TimeProvider? time = null, MuseumsMapping? mapping = null)
{
    public const string Source = "museums/lido";

    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly List<LidoRecordProblem> problems = [];
    private readonly List<DeadLetteredEntity> deadLettered = [];
    private long started;
    private long bytesBefore;
    private long bytesTotal;
    private long recordsRead;
    private long recordsSkipped;
    private long recordsSubmitted;
    private long accepted;

    /// <exception cref="OperationCanceledException">Interrupted; the checkpoint holds every acknowledged batch.</exception>
    /// <exception cref="InvalidOperationException">A resume whose checkpoint is of another input or of files changed since.</exception>
    public async Task<LidoImportReport> RunAsync(CancellationToken cancellationToken)
    {
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "the batch size must be at least 1");
        started = clock.GetTimestamp();
        var files = InputFiles(options.Input);
        bytesTotal = files.Sum(file => file.Length);
        var checkpoint = options.Resume ? LidoImportCheckpoint.Load(options.CheckpointPath) : null;
        var input = Path.GetFullPath(options.Input);
        if (checkpoint is not null && checkpoint.Input != input)
            throw new InvalidOperationException($"the checkpoint {options.CheckpointPath} is of an import of {checkpoint.Input}, not {input}");
        checkpoint ??= new LidoImportCheckpoint(input, [], null);
        checkpoint.Save(options.CheckpointPath);

        foreach (var file in files)
        {
            var done = checkpoint.Completed.FirstOrDefault(c => c.Path == file.FullName);
            if (done is not null)
            {
                RequireSameVersion(done, file);
                recordsSkipped += done.RecordsDone;
                bytesBefore += file.Length;
                continue;
            }
            var skip = 0;
            if (checkpoint.Current is { } current && current.Path == file.FullName)
            {
                RequireSameVersion(current, file);
                skip = current.RecordsDone;
                recordsSkipped += skip;
            }
            var records = await ImportFileAsync(file, skip, checkpoint, cancellationToken);
            checkpoint = checkpoint with { Completed = [.. checkpoint.Completed, CheckpointFile.Of(file, records)], Current = null };
            checkpoint.Save(options.CheckpointPath);
            bytesBefore += file.Length;
        }
        return new LidoImportReport(files.Count, recordsRead, recordsSkipped, recordsSubmitted, accepted, deadLettered, problems, clock.GetElapsedTime(started));
    }

    /// <returns>The number of records in the file (as far as it could be read).</returns>
    private async Task<int> ImportFileAsync(FileInfo file, int skip, LidoImportCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var records = LidoReader.Read(stream, skip).GetEnumerator();
        var batch = new LidoBatch();
        var batchProblems = new List<(LidoRecordProblem Problem, string Original)>();
        var first = skip + 1;
        var last = skip;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (!records.MoveNext())
                    break;
            }
            catch (MalformedSourceException e)
            {
                await FlushAsync();
                var problem = new LidoRecordProblem(file.FullName, last + 1, null, e.Message);
                await sink.RejectAsync(Source, file.FullName, Describe(problem), cancellationToken);
                problems.Add(problem);
                return last;
            }
            var record = records.Current;
            last = record.Position;
            recordsRead++;
            try
            {
                batch.Add(LidoTranslator.Translate(record.Element, record.WrapLanguage, mapping));
            }
            catch (MalformedSourceException e)
            {
                var problem = new LidoRecordProblem(file.FullName, record.Position, LidoTranslator.RecordId(record.Element), e.Message);
                batchProblems.Add((problem, record.Element.ToString(SaveOptions.DisableFormatting)));
            }
            if (last - first + 1 == options.BatchSize)
                await FlushAsync();
        }
        await FlushAsync();
        return last;

        async Task FlushAsync()
        {
            if (last < first)
                return;
            if (batch.Objects > 0)
            {
                var outcome = await sink.SubmitAsync(Source, $"{file.FullName} records {first}-{last}", batch.Entities(), cancellationToken);
                accepted += outcome.Accepted;
                deadLettered.AddRange(outcome.DeadLettered);
                recordsSubmitted += batch.Objects;
            }
            foreach (var (problem, original) in batchProblems)
            {
                await sink.RejectAsync(Source, original, Describe(problem), cancellationToken);
                problems.Add(problem);
            }
            (checkpoint with { Current = CheckpointFile.Of(file, last) }).Save(options.CheckpointPath);
            batch.Clear();
            batchProblems.Clear();
            first = last + 1;
            progress?.Report(new LidoImportProgress(file.Name, bytesBefore + stream.Position, bytesTotal, recordsRead, clock.GetElapsedTime(started)));
        }
    }

    private static string Describe(LidoRecordProblem problem) =>
        $"{Path.GetFileName(problem.File)} record {problem.Position}{(problem.LidoRecId is null ? "" : $" ({problem.LidoRecId})")}: {problem.Reason}";

    private static void RequireSameVersion(CheckpointFile checkpoint, FileInfo file)
    {
        if (!checkpoint.IsSameVersion(file))
            throw new InvalidOperationException($"{file.FullName} has changed since the checkpoint was written; import it again without --resume");
    }

    private static List<FileInfo> InputFiles(string input)
    {
        if (File.Exists(input))
            return [new FileInfo(input)];
        if (Directory.Exists(input))
            return [.. Directory.EnumerateFiles(input, "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(path => new FileInfo(path))];
        throw new FileNotFoundException($"{input}: no such file or folder", input);
    }
}
