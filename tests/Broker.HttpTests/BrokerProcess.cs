using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Broker.HttpTests;

/// <summary>The real broker as a child process (dotnet Broker.dll) on a loopback port, for tests that kill and restart it.</summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private BrokerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Starts the broker on <paramref name="dataPath"/> and waits until /ready answers 200.</summary>
    public static Task<BrokerProcess> StartAsync(string dataPath, TimeSpan timeout, params string[] extraArguments) =>
        StartAsync("127.0.0.1", dataPath, timeout, extraArguments);

    /// <summary>Starts the broker listening on <paramref name="listenHost"/> (reached on 127.0.0.1) and waits until /ready answers 200.</summary>
    public static async Task<BrokerProcess> StartAsync(string listenHost, string dataPath, TimeSpan timeout, params string[] extraArguments)
    {
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var process = Process.Start(StartInfo($"http://{listenHost}:{port}", dataPath, extraArguments)) ?? throw new InvalidOperationException("dotnet did not start");
        var broker = new BrokerProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => broker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The broker exited with {process.ExitCode}:\n{broker.Log}");
            try
            {
                using var response = await client.GetAsync(new Uri("/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return broker;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        await broker.DisposeAsync();
        throw new TimeoutException($"The broker did not become ready within {timeout}:\n{broker.Log}");
    }

    /// <summary>Runs the broker, expecting it to refuse to start: its exit code and everything it wrote.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(string urls, string dataPath, TimeSpan timeout, params string[] extraArguments)
    {
        using var process = Process.Start(StartInfo(urls, dataPath, extraArguments)) ?? throw new InvalidOperationException("dotnet did not start");
        using var cancel = new CancellationTokenSource(timeout);
        var output = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var error = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The broker was still running after {timeout}: it did not refuse to start.");
        }
        return (process.ExitCode, await output + await error);
    }

    private static ProcessStartInfo StartInfo(string urls, string dataPath, string[] extraArguments)
    {
        var brokerDll = typeof(Program).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(brokerDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { brokerDll, "--urls", urls, "--Storage:DataPath", dataPath, "--Logging:LogLevel:Default", "Warning" }.Concat(extraArguments))
            info.ArgumentList.Add(argument);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return info;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    /// <summary>Kills the broker and its children at once, as a crash would; nothing is flushed or shut down.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
