using System.Net;
using Adapters.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace Adapters.Tests;

public sealed class HostTests : IDisposable
{
    private readonly string _deadLetters = Directory.CreateTempSubdirectory("adapters-host-").FullName;

    [Fact]
    public async Task The_host_answers_its_health_check()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("Broker:Url", "http://127.0.0.1:9")
            .UseSetting(AdapterCore.DeadLettersPathKey, _deadLetters));
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_host_does_not_start_without_a_broker_url()
    {
        var (exitCode, output) = await Core.AdapterHostProcess.RunAsync("--DeadLetters:Path", _deadLetters, "--urls", "http://127.0.0.1:0");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Broker:Url must be the broker's absolute base URL", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_deadLetters, recursive: true);
}
