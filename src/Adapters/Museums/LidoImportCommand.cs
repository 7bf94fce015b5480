using System.Globalization;
using Adapters.Core;
using Spectre.Console;

namespace Adapters.Museums;

/// <summary>
/// <c>import lido &lt;file-or-folder&gt; [--batch 1000] [--resume] [--checkpoint path] [--dry-run]</c>: the LIDO import
/// on the command line, with a progress bar (records/s, ETA from the bytes read) and a report of the problems.
/// <c>--dry-run</c> translates without submitting (to measure or check files).
/// </summary>
public static class LidoImportCommand
{
    public static bool IsImport(string[] args) => args is ["import", ..];

    public static async Task<int> RunAsync(IServiceProvider services, string[] args)
    {
        if (Parse(args) is not { } parsed)
        {
            AnsiConsole.MarkupLine("[red]usage:[/] import lido <file-or-folder> [[--batch 1000]] [[--resume]] [[--checkpoint lido-import.checkpoint.json]] [[--dry-run]]");
            return 2;
        }
        var (options, dryRun) = parsed;
        var sink = dryRun ? new TranslationOnlySink() : services.GetService(typeof(IEntitySink)) as IEntitySink;
        if (sink is null)
        {
            AnsiConsole.MarkupLine("[red]No IEntitySink is registered (the NGSI-LD client of src/Adapters/Core); use --dry-run to translate only.[/]");
            return 1;
        }
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        try
        {
            LidoImportReport? report = null;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("LIDO", maxValue: 1);
                    report = await new LidoImport(sink, options, new SpectreProgress(task), mapping: services.GetService(typeof(MuseumsMapping)) as MuseumsMapping).RunAsync(cancellation.Token);
                    task.Value = task.MaxValue;
                });
            Print(report!);
            return report!.Problems.Count == 0 ? 0 : 3;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine($"[yellow]Interrupted.[/] Every acknowledged batch is in {Markup.Escape(options.CheckpointPath)}; run again with --resume to continue.");
            return 130;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLine($"[red]The import stopped:[/] {Markup.Escape(e.Message)}");
            AnsiConsole.MarkupLine("Run again with --resume to continue after the last acknowledged batch.");
            return 1;
        }
    }

    private static (LidoImportOptions Options, bool DryRun)? Parse(string[] args)
    {
        if (args is not ["import", "lido", var input, .. var rest] || input.StartsWith("--", StringComparison.Ordinal))
            return null;
        var batch = 1000;
        var resume = false;
        var dryRun = false;
        var checkpoint = "lido-import.checkpoint.json";
        for (var i = 0; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case "--batch" when i + 1 < rest.Length && int.TryParse(rest[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out batch) && batch > 0:
                    i++;
                    break;
                case "--checkpoint" when i + 1 < rest.Length:
                    checkpoint = rest[++i];
                    break;
                case "--resume":
                    resume = true;
                    break;
                case "--dry-run":
                    dryRun = true;
                    break;
                default:
                    return null;
            }
        }
        return (new LidoImportOptions(input, checkpoint, batch, resume), dryRun);
    }

    private static void Print(LidoImportReport report)
    {
        var seconds = Math.Max(report.Elapsed.TotalSeconds, 0.001);
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
            "{0} files, {1:N0} records read ({2:N0} skipped as done before), {3:N0} submitted, {4:N0} entities accepted, {5:N0} dead-lettered by the sink, {6:N0} problems; {7:N0} records/s",
            report.Files, report.RecordsRead, report.RecordsSkipped, report.RecordsSubmitted, report.EntitiesAccepted, report.DeadLettered.Count, report.Problems.Count, report.RecordsRead / seconds);
        if (report.Problems.Count == 0)
            return;
        var table = new Table().AddColumns("File", "Record", "lidoRecID", "Problem");
        foreach (var problem in report.Problems)
            table.AddRow(Markup.Escape(Path.GetFileName(problem.File)), problem.Position.ToString(CultureInfo.InvariantCulture), Markup.Escape(problem.LidoRecId ?? ""), Markup.Escape(problem.Reason));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("These records are in the dead-letter folder.");
    }

    private sealed class SpectreProgress(ProgressTask task) : ILidoImportProgress
    {
        public void Report(LidoImportProgress progress)
        {
            task.MaxValue = Math.Max(progress.BytesTotal, 1);
            task.Value = progress.BytesRead;
            var rate = progress.Records / Math.Max(progress.Elapsed.TotalSeconds, 0.001);
            task.Description = string.Create(CultureInfo.InvariantCulture, $"{Markup.Escape(progress.File)}: {progress.Records:N0} records, {rate:N0}/s");
        }
    }

    private sealed class TranslationOnlySink : IEntitySink
    {
        public Task<SinkOutcome> SubmitAsync(string source, string original, IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken) =>
            Task.FromResult(new SinkOutcome(0, []));

        public Task RejectAsync(string source, string original, string reason, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
