using System.Diagnostics;
using Adapters.Museums;
using Xunit;
using Xunit.Abstractions;

namespace Adapters.Tests.Museums;

public sealed class LidoImportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("lido-import-").FullName;

    private string Checkpoint => Path.Combine(folder, "checkpoint.json");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Synthetic(string name, int records, ISet<int>? withoutTitle = null)
    {
        var path = Path.Combine(folder, "input", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SyntheticLido.Write(path, records, withoutTitle);
        return path;
    }

    private static List<string> ObjectIds(RecordingSink sink) =>
        [.. sink.Entities.Where(e => e.Type == MuseumIds.CollectionObjectType).Select(e => e.Id)];

    [Fact]
    public async Task Records_go_in_batches_with_each_museum_once_per_batch_and_problems_are_reported_and_rejected()
    {
        var file = Synthetic("a.xml", 2_500, new HashSet<int> { 7, 1_800 });
        var sink = new RecordingSink();
        var report = await new LidoImport(sink, new LidoImportOptions(file, Checkpoint, BatchSize: 1_000)).RunAsync(CancellationToken.None);

        Assert.Equal(3, sink.Submitted.Count);
        Assert.Equal(["records 1-1000", "records 1001-2000", "records 2001-2500"], sink.Submitted.Select(s => s.Original[(file.Length + 1)..]));
        Assert.Equal([999, 999, 500], sink.Submitted.Select(s => s.Entities.Count(e => e.Type == MuseumIds.CollectionObjectType)));
        Assert.All(sink.Submitted, s =>
        {
            var museums = s.Entities.Where(e => e.Type == MuseumIds.MuseumType).Select(e => e.Id).ToList();
            Assert.Equal(15, museums.Count);
            Assert.Equal(museums.Count, museums.Distinct().Count());
        });
        Assert.Equal(2_498, report.RecordsSubmitted);
        Assert.Equal(2_500, report.RecordsRead);
        Assert.Equal([(7, SyntheticLido.RecordId(7)), (1_800, SyntheticLido.RecordId(1_800))], report.Problems.Select(p => (p.Position, p.LidoRecId)));
        Assert.All(report.Problems, p => Assert.StartsWith($"LIDO record '{p.LidoRecId}': no title", p.Reason, StringComparison.Ordinal));
        Assert.Equal(2, sink.Rejected.Count);
        Assert.StartsWith("a.xml record 7 (DE-MUS-SYN07/7): LIDO record", sink.Rejected[0].Reason, StringComparison.Ordinal);
        Assert.Contains(">DE-MUS-SYN07/7</lidoRecID>", sink.Rejected[0].Original, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Resuming_after_the_sink_failed_submits_every_record_exactly_once(int acknowledgedBatches)
    {
        var folderInput = Path.GetDirectoryName(Synthetic("1.xml", 1_250, new HashSet<int> { 300, 1_100 }))!;
        Synthetic("2.xml", 730, new HashSet<int> { 5 });
        var failing = new RecordingSink { FailAt = acknowledgedBatches };
        var options = new LidoImportOptions(folderInput, Checkpoint, BatchSize: 400);
        await Assert.ThrowsAsync<HttpRequestException>(() => new LidoImport(failing, options).RunAsync(CancellationToken.None));
        Assert.Equal(acknowledgedBatches, failing.Submitted.Count);

        var resumed = new RecordingSink();
        var report = await new LidoImport(resumed, options with { Resume = true }).RunAsync(CancellationToken.None);

        var expected = Enumerable.Range(1, 1_250).Where(p => p is not 300 and not 1_100).Select(p => MuseumIds.CollectionObject(SyntheticLido.RecordId(p)))
            .Concat(Enumerable.Range(1, 730).Where(p => p != 5).Select(p => MuseumIds.CollectionObject(SyntheticLido.RecordId(p))))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, ObjectIds(failing).Concat(ObjectIds(resumed)).Order(StringComparer.Ordinal));
        Assert.Equal(3, failing.Rejected.Count + resumed.Rejected.Count);
        Assert.Equal(acknowledgedBatches * 400, report.RecordsSkipped);
    }

    [Fact]
    public async Task Resuming_after_a_cancellation_continues_after_the_last_acknowledged_batch()
    {
        var file = Synthetic("a.xml", 1_000);
        using var cancellation = new CancellationTokenSource();
        var interrupted = new RecordingSink { BeforeSubmit = n => { if (n == 2) cancellation.Cancel(); } };
        var options = new LidoImportOptions(file, Checkpoint, BatchSize: 100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new LidoImport(interrupted, options).RunAsync(cancellation.Token));

        var resumed = new RecordingSink();
        await new LidoImport(resumed, options with { Resume = true }).RunAsync(CancellationToken.None);

        Assert.Equal(2, interrupted.Submitted.Count);
        Assert.StartsWith("records 201-300", resumed.Submitted[0].Original[(file.Length + 1)..], StringComparison.Ordinal);
        Assert.Equal(1_000, ObjectIds(interrupted).Concat(ObjectIds(resumed)).Distinct().Count());
        Assert.Equal(1_000, ObjectIds(interrupted).Count + ObjectIds(resumed).Count);
    }

    [Fact]
    public async Task Resuming_a_finished_import_submits_nothing_and_a_changed_file_is_refused()
    {
        var file = Synthetic("a.xml", 50);
        var options = new LidoImportOptions(file, Checkpoint, BatchSize: 20);
        await new LidoImport(new RecordingSink(), options).RunAsync(CancellationToken.None);
        var again = new RecordingSink();
        var report = await new LidoImport(again, options with { Resume = true }).RunAsync(CancellationToken.None);
        Assert.Empty(again.Submitted);
        Assert.Equal(50, report.RecordsSkipped);

        SyntheticLido.Write(file, 60);
        await Assert.ThrowsAsync<InvalidOperationException>(() => new LidoImport(new RecordingSink(), options with { Resume = true }).RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_file_that_is_not_LIDO_is_a_problem_and_the_other_files_are_imported()
    {
        var good = Synthetic("b.xml", 10);
        var input = Path.GetDirectoryName(good)!;
        File.WriteAllText(Path.Combine(input, "a.xml"), "not xml at all");
        File.WriteAllText(Path.Combine(input, "c.xml"), "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>");
        var sink = new RecordingSink();
        var report = await new LidoImport(sink, new LidoImportOptions(input, Checkpoint)).RunAsync(CancellationToken.None);

        Assert.Equal(10, ObjectIds(sink).Count);
        Assert.Equal(["a.xml", "c.xml"], report.Problems.Select(p => Path.GetFileName(p.File)));
        Assert.StartsWith("LIDO: not well-formed XML at line 1, position 1", report.Problems[0].Reason, StringComparison.Ordinal);
        Assert.StartsWith("LIDO: the root element is <RDF>", report.Problems[1].Reason, StringComparison.Ordinal);
        Assert.Equal(2, sink.Rejected.Count);
    }

    [Fact]
    public async Task Importing_a_file_again_submits_the_same_entities()
    {
        var file = Synthetic("a.xml", 30);
        var first = new RecordingSink();
        var second = new RecordingSink();
        await new LidoImport(first, new LidoImportOptions(file, Checkpoint)).RunAsync(CancellationToken.None);
        await new LidoImport(second, new LidoImportOptions(file, Checkpoint)).RunAsync(CancellationToken.None);
        Assert.Equal(first.Entities.Select(e => e.Body.ToJsonString()), second.Entities.Select(e => e.Body.ToJsonString()));
    }

    /// <summary>
    /// Translation-only throughput (a sink that does nothing). 20 000 records by default; LIDO_THROUGHPUT_RECORDS=100000
    /// for the measurement of the issue.
    /// </summary>
    [Fact]
    public async Task Throughput_of_the_translation()
    {
        var records = int.TryParse(Environment.GetEnvironmentVariable("LIDO_THROUGHPUT_RECORDS"), out var n) ? n : 20_000;
        var file = Synthetic("large.xml", records);
        var noOp = new NoOpSink();
        var stopwatch = Stopwatch.StartNew();
        var report = await new LidoImport(noOp, new LidoImportOptions(file, Checkpoint)).RunAsync(CancellationToken.None);
        stopwatch.Stop();
        Assert.Equal(records, report.RecordsSubmitted);
        Assert.Empty(report.Problems);
        output.WriteLine($"{records} records ({new FileInfo(file).Length / 1_000_000.0:F1} MB) in {stopwatch.Elapsed.TotalSeconds:F2} s: {records / stopwatch.Elapsed.TotalSeconds:F0} records/s");
    }

    private sealed class NoOpSink : Adapters.Core.IEntitySink
    {
        public Task<Adapters.Core.SinkOutcome> SubmitAsync(string source, string original, IReadOnlyList<Adapters.Core.AdapterEntity> entities, CancellationToken cancellationToken) =>
            Task.FromResult(new Adapters.Core.SinkOutcome(entities.Count, []));

        public Task RejectAsync(string source, string original, string reason, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
