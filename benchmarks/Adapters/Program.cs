using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Tests.Museums;

// Adapter throughput into the embedded broker (issue 12): ChirpStack uplinks/s through the webhook, and LIDO records/s
// through the import command. Both hosts run as processes from their Release builds; see benchmarks/adapters.sh.
var invariant = CultureInfo.InvariantCulture;
var options = Arguments.Parse(args);
var root = Arguments.RepositoryRoot();
var work = Directory.CreateTempSubdirectory("adapters-bench-").FullName;
var loadBefore = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
var lines = new List<string>();
try
{
    await using var broker = await Host.StartAsync("broker", Path.Combine(root, "src/Broker/bin/Release/net10.0/Broker.dll"),
        ["--Storage:Provider", "Embedded", "--Storage:DataPath", Path.Combine(work, "broker"), "--Logging:LogLevel:Default", "Warning"], []);

    var mapping = Path.Combine(work, "mapping.yaml");
    File.WriteAllText(mapping, Uplinks.Mapping(options.Devices));
    await using (var adapter = await Host.StartAsync("adapter", Path.Combine(root, "src/Adapters/bin/Release/net10.0/Ngsi.Adapters.dll"),
        ["--Broker:Url", broker.BaseAddress.ToString(), "--Mapping:Path", mapping, "--DeadLetters:Path", Path.Combine(work, "dead-letters-uplinks"), "--Logging:LogLevel:Default", "Warning"], []))
    {
        var uplinks = await Uplinks.RunAsync(adapter, broker, options);
        var deadLetters = Directory.Exists(Path.Combine(work, "dead-letters-uplinks")) ? Directory.GetFiles(Path.Combine(work, "dead-letters-uplinks"), "*.json").Length : 0;
        lines.Add(string.Create(invariant,
            $"| U1 ChirpStack uplinks through POST /lorawan/chirpstack (2 entities each) | {uplinks.Count:N0} in {uplinks.Seconds:0.0} s | **{uplinks.Count / uplinks.Seconds:N0} uplinks/s** | {uplinks.P50:0.0} ms / {uplinks.P99:0.0} ms | {uplinks.AdapterCpuMs / uplinks.Count:0.000} / {uplinks.BrokerCpuMs / uplinks.Count:0.000} | {uplinks.Failed:N0} failed, {deadLetters:N0} dead letters | ≥ 2 000/s: {(uplinks.Count / uplinks.Seconds >= 2000 ? "met" : "**missed**")} |"));
        Console.Error.WriteLine(lines[^1]);
    }

    var lido = Path.Combine(work, "synthetic.xml");
    SyntheticLido.Write(lido, options.LidoRecords);
    var import = await Lido.RunAsync(root, broker, lido, work);
    lines.Add(string.Create(invariant,
        $"| L1 `import lido` of a synthetic LIDO file ({new FileInfo(lido).Length / (1024 * 1024.0):0} MiB, 15 museums) | {options.LidoRecords:N0} records in {import.Seconds:0.0} s | **{options.LidoRecords / import.Seconds:N0} records/s** | — | {import.ImporterCpuMs / options.LidoRecords:0.000} / {import.BrokerCpuMs / options.LidoRecords:0.000} | exit {import.ExitCode}, {import.DeadLetters:N0} dead letters | ≥ 1 150/s: {(options.LidoRecords / import.Seconds >= 1150 ? "met" : "**missed**")} |"));
    Console.Error.WriteLine(lines[^1]);
}
finally
{
    Directory.Delete(work, recursive: true);
}

var loadAfter = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
var section = new StringBuilder();
section.AppendLine("## Adapters (benchmarks/Adapters)");
section.AppendLine();
section.AppendLine(string.Create(invariant, $"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; command: `{options.Command}`; commit: `{options.Commit}`"));
section.AppendLine(string.Create(invariant, $"- machine: {Environment.ProcessorCount} cores, {Machine.MemoryGiB():0.0} GiB memory, {Environment.OSVersion}, .NET {Environment.Version}"));
section.AppendLine($"- load average (1/5/15 min) before: {string.Join(" / ", loadBefore)}; after: {string.Join(" / ", loadAfter)}");
section.AppendLine(string.Create(invariant, $"- the broker (embedded store) and the adapter host as processes on loopback, with the load generator on the same cores; uplinks: {options.Connections} connections, {options.Devices:N0} mapped Bosch TPS110 devices in turn, {options.WarmupSeconds} s warm-up, {options.Seconds} s measured"));
section.AppendLine();
section.AppendLine("| scenario | done | rate | p50 / p99 | CPU ms per item: adapter / broker | losses | target (issue 12) |");
section.AppendLine("|---|--:|--:|--:|--:|---|---|");
foreach (var line in lines)
    section.AppendLine(line);
Console.WriteLine(section);
if (options.Results is { } results)
{
    var existing = File.Exists(results) ? File.ReadAllText(results) : "";
    var at = existing.IndexOf("\n## Adapters", StringComparison.Ordinal);
    // Only this section is replaced: the sections after it (temporal.sh, federation.sh) stay.
    var next = at < 0 ? -1 : existing.IndexOf("\n## ", at + 1, StringComparison.Ordinal);
    var kept = at < 0 ? existing.TrimEnd() : (existing[..at] + (next < 0 ? "" : existing[next..])).TrimEnd();
    File.WriteAllText(results, kept + "\n\n" + section);
}
return 0;

internal sealed record Arguments(int Connections, int Devices, int WarmupSeconds, int Seconds, int LidoRecords, string? Results, string Command, string Commit)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
            values[args[i].TrimStart('-')] = args[i + 1];
        int Int(string name, int fallback) => values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        return new Arguments(Int("connections", 32), Int("devices", 2000), Int("warmup", 3), Int("seconds", 15), Int("lido-records", 30000),
            values.GetValueOrDefault("results"), values.GetValueOrDefault("command") ?? "benchmarks/adapters.sh", values.GetValueOrDefault("commit") ?? "?");
    }

    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Broker.sln")))
                return folder.FullName;
        }
        throw new DirectoryNotFoundException("no Broker.sln above " + AppContext.BaseDirectory);
    }
}

internal static class Machine
{
    public static double MemoryGiB() =>
        File.ReadLines("/proc/meminfo").Where(line => line.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Select(line => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / (1024 * 1024)).First();

    /// <summary>User + system CPU of a process so far, from /proc/&lt;pid&gt;/stat (clock ticks of 10 ms).</summary>
    public static double CpuMs(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
    }
}

/// <summary>A host (the broker or the adapter) as a child process on a free loopback port, ready when it answers.</summary>
internal sealed class Host : IAsyncDisposable
{
    private readonly Process _process;

    private Host(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Pid => _process.Id;

    public static async Task<Host> StartAsync(string name, string dll, string[] arguments, Dictionary<string, string> environment)
    {
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{dll} is not built (dotnet build benchmarks/Adapters -c Release)");
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"[{name}] {line}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"[{name}] {line}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new Host(process, baseAddress);
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline;)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}");
            try
            {
                using var response = await client.GetAsync(name == "broker" ? "ready" : "health");
                if (response.IsSuccessStatusCode)
                    return host;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        await host.DisposeAsync();
        throw new TimeoutException($"{name} did not start");
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed record UplinkResult(long Count, long Failed, double Seconds, double P50, double P99, double AdapterCpuMs, double BrokerCpuMs);

internal static class Uplinks
{
    private static string DevEui(int device) => (0x70b3d50000000000UL + (ulong)device).ToString("x16", CultureInfo.InvariantCulture);

    public static string Mapping(int devices)
    {
        var text = new StringBuilder("lorawan:\n  unmappedDevices: reject\n  devices:\n");
        for (var i = 0; i < devices; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"    - devEui: \"{DevEui(i)}\"\n      decoder: bosch-tps110\n      entityId: \"urn:ngsi-ld:ParkingSpot:bench-{i}\"\n");
            text.Append(CultureInfo.InvariantCulture, $"      location: {{ latitude: {53.96 + (i % 100) * 0.0001}, longitude: {10.87 + (i / 100) * 0.0001} }}\n      category: [onStreet]\n      refParkingSite: \"urn:ngsi-ld:OnStreetParking:bench\"\n");
        }
        return text.ToString();
    }

    /// <summary>ChirpStack v4 "up" events as in the reference sample, one device after another, each with its own time.</summary>
    private static byte[] Uplink(int device, long sequence)
    {
        var time = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(sequence);
        var json = new JsonObject
        {
            ["deduplicationId"] = Guid.NewGuid().ToString(),
            ["time"] = time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'", CultureInfo.InvariantCulture),
            ["deviceInfo"] = new JsonObject { ["tenantName"] = "ChirpStack", ["applicationName"] = "bench", ["deviceName"] = $"bench {device}", ["devEui"] = DevEui(device) },
            ["devAddr"] = "00189440",
            ["adr"] = true,
            ["dr"] = 1,
            ["fCnt"] = sequence % 65536,
            ["fPort"] = 1,
            ["confirmed"] = false,
            ["data"] = sequence % 2 == 0 ? "AQ==" : "AA==",
            ["rxInfo"] = new JsonArray(new JsonObject { ["gatewayId"] = "0016c001f153a14c", ["rssi"] = -57, ["snr"] = 10.0 }),
            ["txInfo"] = new JsonObject { ["frequency"] = 868100000 },
        };
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    public static async Task<UplinkResult> RunAsync(Host adapter, Host broker, Arguments options)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Connections }) { BaseAddress = adapter.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var check = await http.PostAsync("lorawan/chirpstack?event=up", new ByteArrayContent(Uplink(0, 0)) { Headers = { ContentType = new("application/json") } });
        var answer = await check.Content.ReadAsStringAsync();
        if (check.StatusCode != HttpStatusCode.Accepted || (int)JsonNode.Parse(answer)!["accepted"]! != 2)
            throw new InvalidOperationException($"the first uplink was not accepted: {(int)check.StatusCode} {answer}");

        long sequence = 1;
        var measuring = false;
        var stop = false;
        var latencies = new List<double>[options.Connections];
        var counts = new long[options.Connections];
        var failures = new long[options.Connections];
        var workers = Enumerable.Range(0, options.Connections).Select(worker => Task.Run(async () =>
        {
            latencies[worker] = new List<double>(100_000);
            while (!Volatile.Read(ref stop))
            {
                var number = Interlocked.Increment(ref sequence);
                var content = new ByteArrayContent(Uplink((int)(number % options.Devices), number)) { Headers = { ContentType = new("application/json") } };
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("lorawan/chirpstack?event=up", content);
                var body = await response.Content.ReadAsStringAsync();
                if (!Volatile.Read(ref measuring))
                    continue;
                latencies[worker].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode == HttpStatusCode.Accepted && body.Contains("\"accepted\":2", StringComparison.Ordinal))
                    counts[worker]++;
                else
                    failures[worker]++;
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds));
        var adapterCpu = Machine.CpuMs(adapter.Pid);
        var brokerCpu = Machine.CpuMs(broker.Pid);
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, true);
        await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
        Volatile.Write(ref measuring, false);
        var seconds = clock.Elapsed.TotalSeconds;
        adapterCpu = Machine.CpuMs(adapter.Pid) - adapterCpu;
        brokerCpu = Machine.CpuMs(broker.Pid) - brokerCpu;
        Volatile.Write(ref stop, true);
        await Task.WhenAll(workers);
        var all = latencies.SelectMany(list => list).Order().ToList();
        double Percentile(double p) => all.Count == 0 ? 0 : all[Math.Min(all.Count - 1, (int)(p * all.Count))];
        return new UplinkResult(counts.Sum(), failures.Sum(), seconds, Percentile(0.5), Percentile(0.99), adapterCpu, brokerCpu);
    }
}

internal sealed record ImportResult(int ExitCode, double Seconds, int DeadLetters, double ImporterCpuMs, double BrokerCpuMs);

internal static class Lido
{
    /// <summary>The import command as an operator runs it, timed from its start to its exit.</summary>
    public static async Task<ImportResult> RunAsync(string root, Host broker, string file, string work)
    {
        var dll = Path.Combine(root, "src/Adapters/bin/Release/net10.0/Ngsi.Adapters.dll");
        var deadLetters = Path.Combine(work, "dead-letters-lido");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { dll, "import", "lido", file, "--checkpoint", Path.Combine(work, "checkpoint.json") })
            info.ArgumentList.Add(argument);
        info.Environment["Broker__Url"] = broker.BaseAddress.ToString();
        info.Environment["DeadLetters__Path"] = deadLetters;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var brokerCpu = Machine.CpuMs(broker.Pid);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var pid = process.Id;
        double importerCpu = 0;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        while (!process.HasExited)
        {
            try
            {
                importerCpu = Machine.CpuMs(pid);
            }
            catch (IOException)
            {
            }
            await Task.Delay(200);
        }
        await process.WaitForExitAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        brokerCpu = Machine.CpuMs(broker.Pid) - brokerCpu;
        var text = await output + await errors;
        Console.Error.WriteLine(text.Length > 2000 ? text[^2000..] : text);
        return new ImportResult(process.ExitCode, seconds, Directory.Exists(deadLetters) ? Directory.GetFiles(deadLetters, "*.json").Length : 0, importerCpu, brokerCpu);
    }
}
