namespace Tests.Shared;

/// <summary>The real broker (src/Broker) as a child process with the embedded store in a temporary folder.</summary>
public static class BrokerProcess
{
    /// <param name="settings">extra command-line settings, e.g. "--Outbound:AllowLoopback", "true"</param>
    public static Task<ServiceProcess> StartAsync(params string[] settings) => StartAsync(null, settings);

    public static Task<ServiceProcess> StartAsync(TimeSpan? timeout, params string[] settings)
    {
        var dll = ServiceProcess.BuiltDll("src/Broker", "Broker");
        var dataPath = Directory.CreateTempSubdirectory("broker-process-").FullName;
        string[] arguments = ["--Storage:Provider", "Embedded", "--Storage:DataPath", dataPath, "--Logging:LogLevel:Default", "Warning", .. settings];
        return ServiceProcess.StartAsync(dll, _ => arguments, "/ready", dataPath, timeout);
    }
}
