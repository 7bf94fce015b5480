using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Benchmarks.Load;

/// <summary>
/// A process the tool starts (the broker or the ceiling app) on a free loopback port, with its output in a log file,
/// and what Linux says about it: CPU seconds (/proc/pid/stat utime + stime) and peak resident memory (/proc/pid/status VmHWM).
/// </summary>
public sealed class TargetProcess : IAsyncDisposable
{
    private static readonly Lazy<double> TicksPerSecond = new(ReadTicksPerSecond);
    private readonly Process _process;
    private readonly StreamWriter _log;

    private TargetProcess(Process process, StreamWriter log, Uri baseAddress, string logPath)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        LogPath = logPath;
    }

    public Uri BaseAddress { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    /// <summary>Starts <c>dotnet DLL --urls http://127.0.0.1:port ARGS</c> and waits until <paramref name="readyPath"/> answers 2xx.</summary>
    public static Task<TargetProcess> StartAsync(string dll, IReadOnlyList<string> arguments, string readyPath, string logPath, CancellationToken ct) =>
        StartAsync(dll, _ => arguments, readyPath, logPath, ct);

    /// <summary>As above, with arguments that name the process's own base address (an app that tells others where to reach it).</summary>
    public static async Task<TargetProcess> StartAsync(string dll, Func<Uri, IReadOnlyList<string>> arguments, string readyPath, string logPath, CancellationToken ct)
    {
        if (!File.Exists(dll))
            throw new FileNotFoundException($"'{dll}' does not exist: build it first (benchmarks/run.sh does).", dll);
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
        };
        info.ArgumentList.Add(Path.GetFullPath(dll));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        foreach (var argument in arguments(baseAddress))
            info.ArgumentList.Add(argument);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var target = new TargetProcess(process, log, baseAddress, logPath);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
                var reason = File.ReadLines(logPath).FirstOrDefault(l => l.Contains("Exception:", StringComparison.Ordinal))?.Trim();
                throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode} while starting{(reason is null ? "" : ": " + reason)} (log: {logPath})");
            }
            try
            {
                using var response = await probe.GetAsync(new Uri(baseAddress, readyPath), ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return target;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                await target.DisposeAsync().ConfigureAwait(false);
                throw new TimeoutException($"{Path.GetFileName(dll)} did not answer {readyPath} within 60 s: see {logPath}");
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>User and system CPU time of the process so far, in seconds.</summary>
    public (double User, double System) CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // The command name (field 2) may contain spaces: fields are counted after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) / TicksPerSecond.Value,
            long.Parse(fields[12], CultureInfo.InvariantCulture) / TicksPerSecond.Value);
    }

    /// <summary>User and system CPU time of this (the load tool's) process so far, in seconds.</summary>
    public static (double User, double System) OwnCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return (self.UserProcessorTime.TotalSeconds, self.PrivilegedProcessorTime.TotalSeconds);
    }

    /// <summary>The peak resident set size in bytes (VmHWM).</summary>
    public long PeakMemoryBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
        lock (_log)
            _log.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double ReadTicksPerSecond()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var text = getconf.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return double.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException)
        {
            return 100;
        }
    }
}
