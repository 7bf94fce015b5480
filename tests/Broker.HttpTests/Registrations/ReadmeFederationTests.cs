using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace Broker.HttpTests.Registrations;

/// <summary>The README's "Federating with a neighbouring city" runs as written: scripts/readme-federation.sh, with this build of the broker on free ports.</summary>
public sealed class ReadmeFederationTests
{
    [Fact]
    public async Task The_readme_federation_example_answers_both_cities_car_parks_and_local_true_only_Luebecks()
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("scripts/readme-federation.sh");
        info.Environment["BROKER_DLL"] = typeof(Program).Assembly.Location;
        info.Environment["LUEBECK_PORT"] = BrokerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        info.Environment["BAD_SCHWARTAU_PORT"] = BrokerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"scripts/readme-federation.sh exited with {process.ExitCode}:\n{await output}\n{await errors}");
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Broker.sln")))
                return folder.FullName;
        }
        throw new DirectoryNotFoundException("No Broker.sln above " + AppContext.BaseDirectory);
    }
}
