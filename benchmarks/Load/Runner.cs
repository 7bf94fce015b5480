using System.Diagnostics;
using System.Globalization;
using System.Net;
using Benchmarks.Load.Scenarios;
using Npgsql;

namespace Benchmarks.Load;

/// <summary>What one scenario measured. Broker figures (CPU, memory) are null where there is no process of ours to read.</summary>
public sealed record ScenarioResult(
    string Id,
    string Name,
    string Store,
    long Operations,
    long Items,
    long Errors,
    TimeSpan Elapsed,
    TimeSpan P50,
    TimeSpan P99,
    double? CpuSeconds,
    double? SystemCpuSeconds,
    long? PeakMemoryBytes,
    string? CeilingId,
    string? Note,
    NotificationFigures? Notifications = null,
    double? SecondBrokerCpuSeconds = null)
{
    public double OpsPerSecond => Operations / Elapsed.TotalSeconds;

    public double ItemsPerSecond => Items / Elapsed.TotalSeconds;

    public double? CpuMsPerRequest => CpuSeconds is { } cpu && Operations > 0 ? cpu * 1000 / Operations : null;

    public double? SecondBrokerCpuMsPerRequest => SecondBrokerCpuSeconds is { } cpu && Operations > 0 ? cpu * 1000 / Operations : null;

    public static ScenarioResult Skipped(IScenario scenario, string store, string reason) =>
        new(scenario.Id, scenario.Name, store, 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, null, null, null, null, "skipped: " + reason);

    public bool IsSkipped => Note?.StartsWith("skipped", StringComparison.Ordinal) == true;
}

/// <summary>Runs one scenario: starts its target, sets it up, warms up, measures, and stops the target.</summary>
public sealed class Runner(Options options, string workDirectory)
{
    public async Task<ScenarioResult> RunAsync(IScenario scenario, CancellationToken ct)
    {
        var store = scenario.Target switch
        {
            Target.Broker => options.Store,
            Target.HttpCeiling => "none",
            Target.Sqlite => "embedded (raw SQLite)",
            _ => "postgres (raw Npgsql)",
        };
        if (scenario.Target == Target.Postgres && options.ConnectionString is null)
            return ScenarioResult.Skipped(scenario, store, "no --connection given");

        var runId = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{scenario.Id.ToLowerInvariant()}";
        var dataPath = Path.Combine(workDirectory, runId);
        TargetProcess? process = null;
        NpgsqlDataSource? postgres = null;
        string? scenarioDatabase = null;
        try
        {
            Uri baseAddress;
            if (scenario.Target == Target.Postgres)
            {
                var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString) { MaxPoolSize = Math.Max(options.Connections, 100) };
                postgres = NpgsqlDataSource.Create(builder.ConnectionString);
                baseAddress = new Uri("http://127.0.0.1/");
            }
            else if (scenario.Target == Target.Sqlite)
            {
                baseAddress = new Uri("http://127.0.0.1/");
            }
            else
            {
                if (scenario.Target == Target.Broker && options.Store == Stores.Postgres)
                    scenarioDatabase = await CreateScenarioDatabaseAsync(runId, ct).ConfigureAwait(false);
                process = scenario.Target == Target.Broker
                    ? await TargetProcess.StartAsync(options.BrokerPath, [.. BrokerArguments(dataPath, scenarioDatabase), .. scenario.TargetArguments], "/ready", dataPath + ".log", ct).ConfigureAwait(false)
                    : await TargetProcess.StartAsync(options.CeilingPath, scenario.TargetArguments, "/", dataPath + ".log", ct).ConfigureAwait(false);
                baseAddress = process.BaseAddress;
            }

            using var handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = options.Connections,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                UseProxy = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
            };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(120) };
            var context = new ScenarioContext
            {
                Http = http,
                BaseAddress = baseAddress,
                RunId = runId,
                // On a persistent store each scenario gets its own tenant, so no scenario sees another's (or an earlier run's) data.
                Tenant = options.Store == Stores.Postgres && scenario.Target == Target.Broker ? "bench" + runId.Replace("-", "", StringComparison.Ordinal) : null,
                Connections = options.Connections,
                Store = options.Store,
                Postgres = postgres,
                DataPath = dataPath,
            };

            Console.Error.WriteLine($"{scenario.Id} {scenario.Name}: setup");
            var setup = Stopwatch.StartNew();
            await scenario.SetupAsync(context, ct).ConfigureAwait(false);
            Console.Error.WriteLine($"{scenario.Id}: setup took {setup.Elapsed.TotalSeconds:F1} s; warm-up {options.Warmup.TotalSeconds} s, measuring {options.Duration.TotalSeconds} s");
            var clients = Enumerable.Range(0, scenario.Clients ?? options.Connections).Select(i => new Client(i)).ToArray();
            if (options.Warmup > TimeSpan.Zero)
                await PhaseAsync(scenario, context, clients, options.Warmup, ct).ConfigureAwait(false);

            // Without a process of its own, the SQLite ceiling's CPU is this tool's (its clients only take turns at the writer).
            var cpuBefore = scenario.Target == Target.Sqlite ? TargetProcess.OwnCpuSeconds() : process?.CpuSeconds();
            var secondBefore = scenario.SecondBroker?.CpuSeconds();
            var notifying = scenario as INotifyingScenario;
            notifying?.MeasuringStarted();
            var phase = await PhaseAsync(scenario, context, clients, options.Duration, ct).ConfigureAwait(false);
            var cpuAfter = scenario.Target == Target.Sqlite ? TargetProcess.OwnCpuSeconds() : process?.CpuSeconds();
            var secondAfter = scenario.SecondBroker?.CpuSeconds();
            // After the CPU reading: the broker's work on notifications still under way is not part of the measured phase.
            var notifications = notifying is null ? null : await notifying.MeasuringEndedAsync(ct).ConfigureAwait(false);
            double? cpu = cpuAfter is { } a && cpuBefore is { } b ? a.User + a.System - b.User - b.System : null;
            double? systemCpu = cpuAfter is { } c && cpuBefore is { } d ? c.System - d.System : null;
            double? secondCpu = secondAfter is { } e && secondBefore is { } f ? e.User + e.System - f.User - f.System : null;
            var peak = process?.PeakMemoryBytes();

            var latencies = phase.Latencies;
            latencies.Sort();
            return new ScenarioResult(scenario.Id, scenario.Name, store, latencies.Count, phase.Items, phase.Errors, phase.Elapsed,
                Percentile(latencies, 0.50), Percentile(latencies, 0.99), cpu, systemCpu, peak, scenario.CeilingFor(options.Store),
                Note(phase, notifications), notifications, secondCpu);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or NpgsqlException or Microsoft.Data.Sqlite.SqliteException or TimeoutException or FileNotFoundException)
        {
            Console.Error.WriteLine($"{scenario.Id} failed: {e.Message}");
            return ScenarioResult.Skipped(scenario, store, "failed: " + OneLine(e.Message));
        }
        finally
        {
            await scenario.DisposeAsync().ConfigureAwait(false);
            if (process is not null)
                await process.DisposeAsync().ConfigureAwait(false);
            if (postgres is not null)
                await postgres.DisposeAsync().ConfigureAwait(false);
            if (scenarioDatabase is not null)
                await DropScenarioDatabaseAsync(scenarioDatabase).ConfigureAwait(false);
            if (Directory.Exists(dataPath))
                Directory.Delete(dataPath, recursive: true);
        }
    }

    private List<string> BrokerArguments(string dataPath, string? database)
    {
        List<string> arguments = ["--Storage:DataPath", dataPath];
        if (options.Store == Stores.Postgres)
        {
            var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            if (database is not null)
                connection.Database = database;
            arguments.AddRange(["--Storage:Provider", "Postgres", "--ConnectionStrings:Postgres", connection.ConnectionString]);
        }
        return arguments;
    }

    /// <summary>
    /// A database of its own for a broker scenario on PostgreSQL, so that no scenario pays for another's data: S6 after
    /// S10 would otherwise record the history of S10's writes, which the broker catches up on once history is on again.
    /// </summary>
    private async Task<string> CreateScenarioDatabaseAsync(string runId, CancellationToken ct)
    {
        var name = "bench_" + runId.Replace("-", "_", StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(options.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return name;
    }

    private async Task DropScenarioDatabaseAsync(string name)
    {
        try
        {
            await using var connection = new NpgsqlConnection(options.ConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            Console.Error.WriteLine($"could not drop the scenario database {name}: {e.Message}");
        }
    }

    private static string? Note(Phase phase, NotificationFigures? notifications)
    {
        List<string> notes = [];
        if (phase.Errors > 0)
            notes.Add($"{phase.Errors} errors, first: {phase.FirstError}");
        if (notifications is { Lost: > 0 } lost)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{lost.Lost:N0} of {lost.Expected:N0} acknowledged updates not notified within {lost.Grace.TotalSeconds:0} s"));
        return notes.Count == 0 ? null : string.Join("; ", notes);
    }

    private sealed record Phase(List<TimeSpan> Latencies, long Items, long Errors, string? FirstError, TimeSpan Elapsed);

    /// <summary>Every client runs operations back to back until the time is up; the last operation of each is allowed to finish.</summary>
    private static async Task<Phase> PhaseAsync(IScenario scenario, ScenarioContext context, Client[] clients, TimeSpan duration, CancellationToken ct)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var perClient = await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            var latencies = new List<TimeSpan>(4096);
            long items = 0, errors = 0;
            string? firstError = null;
            while (Stopwatch.GetTimestamp() < stopAt && errors < 1000)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    items += await scenario.ExecuteAsync(context, client, ct).ConfigureAwait(false);
                    latencies.Add(Stopwatch.GetElapsedTime(start));
                }
                catch (Exception e) when (e is InvalidOperationException or HttpRequestException or NpgsqlException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    errors++;
                    firstError ??= OneLine(e.Message);
                }
            }
            return (latencies, items, errors, firstError);
        }, ct))).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var all = new List<TimeSpan>(perClient.Sum(c => c.latencies.Count));
        foreach (var client in perClient)
            all.AddRange(client.latencies);
        return new Phase(all, perClient.Sum(c => c.items), perClient.Sum(c => c.errors),
            perClient.Select(c => c.firstError).FirstOrDefault(e => e is not null), elapsed);
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double quantile) =>
        sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace("|", "/", StringComparison.Ordinal);
}
