using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Adapters.Tests.Core;

/// <summary>
/// The real broker as a child process (dotnet Broker.dll, built beside this project by its project reference) on a
/// loopback port, with the embedded store in a temporary folder. Starting it fails (never skips) when it cannot run.
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _dataPath;

    private BrokerProcess(Process process, Uri baseAddress, string dataPath)
    {
        _process = process;
        BaseAddress = baseAddress;
        _dataPath = dataPath;
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

    /// <summary>src/Broker/bin/&lt;configuration&gt;/net10.0/Broker.dll, the configuration being this test assembly's.</summary>
    private static string BrokerDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        for (var folder = output; folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Broker.sln")))
            {
                var dll = Path.Combine(folder.FullName, "src", "Broker", "bin", configuration, framework, "Broker.dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"The broker is not built: {dll} is missing (dotnet build tests/Adapters.Tests builds it)", dll);
            }
        }
        throw new DirectoryNotFoundException($"No Broker.sln above {output.FullName}");
    }

    public static async Task<BrokerProcess> StartAsync(TimeSpan? timeout = null)
    {
        var dll = BrokerDll();
        var dataPath = Directory.CreateTempSubdirectory("adapters-e2e-broker-").FullName;
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, "--urls", baseAddress.ToString().TrimEnd('/'), "--Storage:Provider", "Embedded", "--Storage:DataPath", dataPath, "--Logging:LogLevel:Default", "Warning" })
            info.ArgumentList.Add(argument);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var broker = new BrokerProcess(process, baseAddress, dataPath);
        process.OutputDataReceived += (_, e) => broker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var log = broker.Log;
                await broker.DisposeAsync();
                throw new InvalidOperationException($"The broker exited with {process.ExitCode}:\n{log}");
            }
            try
            {
                using var response = await client.GetAsync(new Uri("/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return broker;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        var lines = broker.Log;
        await broker.DisposeAsync();
        throw new TimeoutException($"The broker did not become ready:\n{lines}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

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
        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
