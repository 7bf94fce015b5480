using Benchmarks.Load;
using Benchmarks.Load.Scenarios;

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
if (args.Contains("--help"))
{
    Console.WriteLine(Options.Usage);
    return 0;
}

var scenarios = Scenarios.All(options).Where(s => options.ScenarioIds is null || options.ScenarioIds.Contains(s.Id)).ToList();
if (options.ScenarioIds is { } wanted && wanted.Except(scenarios.Select(s => s.Id)).ToList() is { Count: > 0 } unknown)
{
    Console.Error.WriteLine($"Unknown scenarios: {string.Join(", ", unknown)}. Known: {string.Join(", ", Scenarios.All(options).Select(s => s.Id))}.");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var started = DateTime.UtcNow;
var loadBefore = Report.LoadAverage();
var workDirectory = Directory.CreateTempSubdirectory("ngsi-ld-load-").FullName;
var runner = new Runner(options, workDirectory);
var results = new List<ScenarioResult>();
try
{
    var runs = new List<(string Store, IScenario Scenario)>();
    foreach (var scenario in scenarios.Where(s => s.Target != Target.Broker))
        runs.Add((options.Stores[0], scenario));
    foreach (var store in options.Stores)
    {
        foreach (var scenario in scenarios.Where(s => s.Target == Target.Broker))
            runs.Add((store, scenario));
    }
    foreach (var (store, scenario) in runs)
    {
        options.Store = store;
        var result = await runner.RunAsync(scenario, cancel.Token);
        results.Add(result);
        Console.Error.WriteLine(result.IsSkipped
            ? $"{result.Id}: {result.Note}"
            : $"{result.Id}: {result.OpsPerSecond:N0} ops/s, p50 {result.P50.TotalMilliseconds:0.00} ms, p99 {result.P99.TotalMilliseconds:0.00} ms"
              + (result.CpuMsPerRequest is { } cpu ? $", {cpu:0.000} ms CPU/request" : ""));
    }
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Cancelled; reporting what was measured.");
}
finally
{
    // The processes' logs stay when something failed.
    if (results.Any(r => r.Note is not null && !r.Note.StartsWith("skipped: no", StringComparison.Ordinal)))
        Console.Error.WriteLine($"Logs of the broker and ceiling processes: {workDirectory}");
    else
        Directory.Delete(workDirectory, recursive: true);
}

Console.WriteLine(Report.Table(results));
if (options.ResultsPath is { } path)
{
    await File.WriteAllTextAsync(path, Report.Document(options, results, loadBefore, Report.LoadAverage(), started));
    Console.Error.WriteLine($"Wrote {path}");
}
return results.Any(r => r.IsSkipped && r.Note!.StartsWith("skipped: failed", StringComparison.Ordinal)) ? 1 : 0;
