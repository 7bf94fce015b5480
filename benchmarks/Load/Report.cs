using System.Globalization;
using System.Text;
using Benchmarks.Load.Scenarios;

namespace Benchmarks.Load;

/// <summary>The Markdown report: machine, run, the results table with ratios to the ceilings, and the project's targets.</summary>
public static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Table(IReadOnlyList<ScenarioResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | store | requests | ops/s | entities/s | p50 | p99 | broker CPU ms/request | ratio to ceiling | peak memory |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        var notes = new List<string>();
        foreach (var r in results)
        {
            if (r.IsSkipped)
            {
                text.AppendLine(Invariant, $"| {r.Id} {r.Name} | {r.Store} | {r.Note} | | | | | | | |");
                continue;
            }
            var noteMark = "";
            if (r.Note is not null)
            {
                notes.Add(r.Id + ": " + r.Note);
                noteMark = $" ({notes.Count})";
            }
            text.AppendLine(Invariant,
                $"| {r.Id} {r.Name}{noteMark} | {r.Store} | {r.Operations:N0} | {r.OpsPerSecond:N0} | {(r.Items != r.Operations ? r.ItemsPerSecond.ToString("N0", Invariant) : "")} | {Ms(r.P50)} | {Ms(r.P99)} | {Cpu(r)} | {Ratio(r, results)} | {(r.PeakMemoryBytes is { } peak ? $"{peak / (1024.0 * 1024):N0} MiB" : "—")} |");
        }
        for (var i = 0; i < notes.Count; i++)
            text.AppendLine(Invariant, $"\n({i + 1}) {notes[i]}");
        return text.ToString();
    }

    public static string Document(Options options, IReadOnlyList<ScenarioResult> results, string loadBefore, string loadAfter, DateTime started)
    {
        var text = new StringBuilder();
        text.AppendLine("# Benchmark results");
        text.AppendLine();
        text.AppendLine("Written by `benchmarks/run.sh` (do not edit by hand; see the Benchmarks section of the README).");
        text.AppendLine();
        text.AppendLine("> The load tool, the broker and PostgreSQL share the same cores (the load average below shows how busy the");
        text.AppendLine("> machine was). Compare ratios and CPU per request rather than absolute rates.");
        text.AppendLine();
        text.AppendLine("Where the time goes (profiles of S1, S2, S4, S5) and what to change: [FINDINGS.md](FINDINGS.md).");
        text.AppendLine();
        text.AppendLine(Invariant, $"- date: {started:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine(Invariant, $"- command: `{options.Command}`");
        text.AppendLine(Invariant, $"- commit: `{options.Commit}`");
        text.AppendLine(Invariant, $"- machine: {Environment.ProcessorCount} cores ({CpuModel()}), {MemTotal()} memory, {Environment.OSVersion}, .NET {Environment.Version}");
        text.AppendLine(Invariant, $"- load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}");
        if (options.Note is not null)
            text.AppendLine(Invariant, $"- note: {options.Note}");
        text.AppendLine(Invariant, $"- {options.Connections} connections; {options.Warmup.TotalSeconds:0} s warm-up and {options.Duration.TotalSeconds:0} s measured per scenario{(options.Quick ? " (quick mode)" : "")}; a fresh broker process per scenario");
        text.AppendLine();
        text.AppendLine("## Load (benchmarks/Load)");
        text.AppendLine();
        text.Append(Table(results));
        text.AppendLine();
        text.AppendLine("- requests: completed in the measured phase; ops/s: requests per second (all clients); entities/s for batch requests; p50/p99: latency seen by the client.");
        text.AppendLine("- broker CPU ms/request: user + system CPU of the broker process (`/proc/<pid>/stat`) during the measured phase, divided by the requests; the share spent in the kernel (system time: sockets, fsync) in brackets.");
        text.AppendLine("- ratio to ceiling: entities (or requests) per second divided by the ceiling's. C1 (bare Kestrel, fixed 300-byte body) for every HTTP");
        text.AppendLine("  scenario; with the PostgreSQL store, single writes against C2 (single-row jsonb INSERT) and batch upsert against C3 (binary COPY);");
        text.AppendLine("  with the embedded store, batch upsert against C4 (the store's own SQLite rows, 1000 per fsynced transaction, without the broker).");
        text.AppendLine("  The ceilings without a process of their own (C2-C4) run in the load tool; C4's CPU column is the load tool's CPU per transaction.");
        text.AppendLine("- peak memory: VmHWM of the broker process (`/proc/<pid>/status`), including setup (S5 preloads its entities).");
        text.AppendLine();
        text.AppendLine("## Targets (from the project's performance issue)");
        text.AppendLine();
        text.AppendLine("| target | store | scenario | measured | met |");
        text.AppendLine("|---|---|---|--:|---|");
        Target(text, results, "≤ 0.2 ms CPU per query-by-type request", Stores.Embedded, "S4", r => r.CpuMsPerRequest, "ms", max: 0.2);
        Target(text, results, "≤ 0.08 ms CPU per GET by id", Stores.Embedded, "S3", r => r.CpuMsPerRequest, "ms", max: 0.08);
        Target(text, results, "≤ 0.15 ms CPU per durable single-entity create", Stores.Embedded, "S1", r => r.CpuMsPerRequest, "ms", max: 0.15);
        Target(text, results, "≤ 0.15 ms CPU per durable update", Stores.Embedded, "S6", r => r.CpuMsPerRequest, "ms", max: 0.15);
        Target(text, results, "≥ 100 000 entities/s batch upsert", Stores.Embedded, "S2", r => r.ItemsPerSecond, "entities/s", min: 100_000);
        Target(text, results, "≥ 3 000 q+geo queries/s over 100 000 entities", Stores.Embedded, "S5", r => r.OpsPerSecond, "queries/s", min: 3_000);
        Target(text, results, "≥ 3 000 durable updates/s", Stores.Postgres, "S6", r => r.OpsPerSecond, "updates/s", min: 3_000);
        Target(text, results, "≥ 50 000 entities/s batch upsert", Stores.Postgres, "S2", r => r.ItemsPerSecond, "entities/s", min: 50_000);
        return text.ToString();
    }

    private static void Target(StringBuilder text, IReadOnlyList<ScenarioResult> results, string target, string store, string id,
        Func<ScenarioResult, double?> measure, string unit, double? max = null, double? min = null)
    {
        var result = results.FirstOrDefault(r => r.Id == id && r.Store == store && !r.IsSkipped);
        var value = result is null ? null : measure(result);
        if (value is not { } v)
        {
            text.AppendLine(Invariant, $"| {target} | {store} | {id} | not run | |");
            return;
        }
        var met = (max is null || v <= max) && (min is null || v >= min);
        var format = unit == "ms" ? "0.000" : "N0";
        text.AppendLine(Invariant, $"| {target} | {store} | {id} | {v.ToString(format, Invariant)} {unit} | {(met ? "yes" : "no")} |");
    }

    private static string Ratio(ScenarioResult result, IReadOnlyList<ScenarioResult> results)
    {
        if (result.CeilingId is not { } ceilingId)
            return "—";
        var ceiling = results.FirstOrDefault(r => r.Id == ceilingId && !r.IsSkipped);
        return ceiling is null || ceiling.ItemsPerSecond == 0
            ? $"— ({ceilingId} not run)"
            : string.Create(Invariant, $"{result.ItemsPerSecond / ceiling.ItemsPerSecond:0.00} × {ceilingId}");
    }

    private static string Cpu(ScenarioResult r) =>
        r.CpuMsPerRequest is { } cpu
            ? string.Create(Invariant, $"{cpu:0.000} ({(r.CpuSeconds > 0 ? r.SystemCpuSeconds / r.CpuSeconds * 100 : 0):0}% sys)")
            : "—";

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString(value.TotalMilliseconds < 10 ? "0.00" : "0", Invariant) + " ms";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string MemTotal()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kib = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], Invariant);
            return $"{kib / (1024.0 * 1024):0.0} GiB";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
