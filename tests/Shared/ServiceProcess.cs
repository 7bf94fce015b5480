using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tests.Shared;

/// <summary>
/// A program of this repository as a child process (dotnet X.dll, built beside the test project by a project reference)
/// on a loopback port, ready once a GET of its readiness path answers 200. Starting it fails (never skips) when it
/// cannot run; its output is kept for the failure message.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string? _temporaryFolder;

    private ServiceProcess(Process process, Uri baseAddress, string? temporaryFolder)
    {
        _process = process;
        BaseAddress = baseAddress;
        _temporaryFolder = temporaryFolder;
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

    /// <summary>
    /// &lt;project folder&gt;/bin/&lt;configuration&gt;/net10.0/&lt;assembly&gt;.dll below the repository root, the
    /// configuration being this test assembly's.
    /// </summary>
    /// <param name="projectFolder">relative to the repository root, e.g. src/Broker</param>
    public static string BuiltDll(string projectFolder, string assemblyName)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        for (var folder = output; folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Broker.sln")))
            {
                var dll = Path.Combine(folder.FullName, projectFolder, "bin", configuration, framework, assemblyName + ".dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"{assemblyName} is not built: {dll} is missing (building the test project builds it)", dll);
            }
        }
        throw new DirectoryNotFoundException($"No Broker.sln above {output.FullName}");
    }

    /// <param name="arguments">after the dll and --urls, given the address the process will listen on</param>
    /// <param name="temporaryFolder">deleted when the process is disposed</param>
    public static async Task<ServiceProcess> StartAsync(string dll, Func<Uri, IEnumerable<string>> arguments, string readyPath = "/health", string? temporaryFolder = null,
        TimeSpan? timeout = null)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        foreach (var argument in arguments(baseAddress))
            info.ArgumentList.Add(argument);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var service = new ServiceProcess(process, baseAddress, temporaryFolder);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var name = Path.GetFileNameWithoutExtension(dll);
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var log = service.Log;
                await service.DisposeAsync();
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{log}");
            }
            try
            {
                using var response = await client.GetAsync(new Uri(readyPath, UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return service;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        var lines = service.Log;
        await service.DisposeAsync();
        throw new TimeoutException($"{name} did not become ready:\n{lines}");
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
        if (_temporaryFolder is not null)
        {
            try
            {
                Directory.Delete(_temporaryFolder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return ValueTask.CompletedTask;
    }
}
