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
        NotificationTable(text, results);
        TwoBrokerTable(text, results);
        return text.ToString();
    }

    /// <summary>The scenarios with a second broker (S11, S12): the CPU of each broker per request of the one client.</summary>
    private static void TwoBrokerTable(StringBuilder text, IReadOnlyList<ScenarioResult> results)
    {
        var twoBrokers = results.Where(r => r.SecondBrokerCpuSeconds is not null).ToList();
        if (twoBrokers.Count == 0)
            return;
        text.AppendLine();
        text.AppendLine("| scenario | store | requests | p50 | p99 | CPU ms/request: broker A (federating) | broker B (context source) | A + B |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var r in twoBrokers)
        {
            text.AppendLine(Invariant,
                $"| {r.Id} | {r.Store} | {r.Operations:N0} | {Ms(r.P50)} | {Ms(r.P99)} | {r.CpuMsPerRequest:0.000} | {r.SecondBrokerCpuMsPerRequest:0.000} | {r.CpuMsPerRequest + r.SecondBrokerCpuMsPerRequest:0.000} |");
        }
    }

    /// <summary>What the receiver of the notifying scenarios (S7) saw, one row per run.</summary>
    private static void NotificationTable(StringBuilder text, IReadOnlyList<ScenarioResult> results)
    {
        var notifying = results.Where(r => r.Notifications is not null).ToList();
        if (notifying.Count == 0)
            return;
        text.AppendLine();
        text.AppendLine("| scenario | store | subscriptions (matching) | writes/s | write rate / S6 | notifications/s | notified entities/s | entities per notification | latency p50 | p99 | max | lost / acknowledged | duplicates | last arrival after the phase |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in notifying)
        {
            var n = r.Notifications!;
            var seconds = r.Elapsed.TotalSeconds;
            text.AppendLine(Invariant,
                $"| {r.Id} | {r.Store} | {n.Subscriptions:N0} ({n.Matching:N0}) | {r.OpsPerSecond:N0} | {Ratio(r, results)} | {n.Notifications / seconds:N0} | {n.Entities / seconds:N0} | {(n.Notifications > 0 ? (double)n.Entities / n.Notifications : 0):0.00} | {Ms(n.P50)} | {Ms(n.P99)} | {Ms(n.Max)} | {n.Lost:N0} / {n.Expected:N0} | {n.Duplicates:N0} | {Ms(n.Drain)} |");
        }
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
        text.AppendLine("- S7 is S6's PATCH stream with subscriptions; its ratio is its write rate divided by S6's on the same store in the same run.");
        text.AppendLine("  Its second table is what the tool's notification receiver (Kestrel on 127.0.0.1, in the load tool) saw: notifications and");
        text.AppendLine("  notified entities per second during the measured phase; latency from sending a PATCH to the arrival of the notification");
        text.AppendLine("  of its value, over the PATCHes acknowledged in the measured phase; lost: those of them not notified within the grace period");
        text.AppendLine("  after the phase (must be 0); the broker's CPU column covers the measured phase, not the notifications still owed after it.");
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
        BaselineTarget(text, results, "PATCH rate with 1 000 subscriptions (10 % matching) ≥ 80 % of S6's", Stores.Embedded, "S7", min: 0.8);
        Target(text, results, "end-to-end notification latency p99 < 100 ms", Stores.Embedded, "S7",
            r => r.Notifications is { Expected: > 0 } n ? n.P99.TotalMilliseconds : null, "ms", below: 100);
        Target(text, results, "no acknowledged PATCH left unnotified", Stores.Embedded, "S7", r => r.Notifications?.Lost, "lost", max: 0);
        Target(text, results, "one entity, one attribute, a month: p50 < 20 ms at 1 000 000 instances", Stores.Postgres, "S8", r => r.P50.TotalMilliseconds, "ms", below: 20);
        Target(text, results, "daily avg,max over all entities of a type, a month: < 1 s", Stores.Postgres, "S9", r => r.P50.TotalMilliseconds, "ms", below: 1000);
        foreach (var store in (string[])[Stores.Embedded, Stores.Postgres])
            BaselineTarget(text, results, "PATCH rate with the history recorded ≥ 70 % of S10's (history off)", store, "S6", min: 0.7, baselineId: "S10");
        return text.ToString();
    }

    private static void Target(StringBuilder text, IReadOnlyList<ScenarioResult> results, string target, string store, string id,
        Func<ScenarioResult, double?> measure, string unit, double? max = null, double? min = null, double? below = null)
    {
        var result = Find(results, id, store);
        var value = result is null ? null : measure(result);
        if (value is not { } v)
        {
            text.AppendLine(Invariant, $"| {target} | {store} | {id} | not run | |");
            return;
        }
        var met = (max is null || v <= max) && (min is null || v >= min) && (below is null || v < below);
        var format = unit == "ms" ? v < 10 ? "0.000" : "0" : "N0";
        text.AppendLine(Invariant, $"| {target} | {store} | {id} | {v.ToString(format, Invariant)} {unit} | {(met ? "yes" : "no")} |");
    }

    /// <summary>
    /// A target on a scenario's rate as a share of the scenario it is compared with on the same store: its ceiling (S7
    /// against S6) or <paramref name="baselineId"/> (S6 against S10).
    /// </summary>
    private static void BaselineTarget(StringBuilder text, IReadOnlyList<ScenarioResult> results, string target, string store, string id, double min,
        string? baselineId = null)
    {
        var result = Find(results, id, store);
        if (result is null)
        {
            text.AppendLine(Invariant, $"| {target} | {store} | {id} | not run | |");
            return;
        }
        if ((baselineId is null ? Baseline(result, results) : Find(results, baselineId, store)) is not { ItemsPerSecond: > 0 } baseline)
        {
            text.AppendLine(Invariant, $"| {target} | {store} | {id} | {baselineId ?? result.CeilingId} not run on this store | |");
            return;
        }
        var share = result.ItemsPerSecond / baseline.ItemsPerSecond;
        text.AppendLine(Invariant, $"| {target} | {store} | {id} | {share * 100:0} % ({result.OpsPerSecond:N0} / {baseline.OpsPerSecond:N0}) | {(share >= min ? "yes" : "no")} |");
    }

    /// <summary>The result a target is about; S7's targets are for its default mix (1 000 subscriptions, 100 matching), not for experiments.</summary>
    private static ScenarioResult? Find(IReadOnlyList<ScenarioResult> results, string id, string store) =>
        results.FirstOrDefault(r => r.Id == id && r.Store == store && !r.IsSkipped && r.Notifications is null or { Subscriptions: 1000, Matching: 100 });

    private static string Ratio(ScenarioResult result, IReadOnlyList<ScenarioResult> results)
    {
        if (result.CeilingId is not { } ceilingId)
            return "—";
        var ceiling = Baseline(result, results);
        return ceiling is null || ceiling.ItemsPerSecond == 0
            ? $"— ({ceilingId} not run)"
            : string.Create(Invariant, $"{result.ItemsPerSecond / ceiling.ItemsPerSecond:0.00} × {ceilingId}");
    }

    /// <summary>The result a scenario is compared with: a ceiling (whatever the store), or a broker scenario on the same store.</summary>
    private static ScenarioResult? Baseline(ScenarioResult result, IReadOnlyList<ScenarioResult> results) =>
        results.FirstOrDefault(r => r.Id == result.CeilingId && !r.IsSkipped && (r.Store == result.Store || r.Store is not (Stores.Embedded or Stores.Postgres)));

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
