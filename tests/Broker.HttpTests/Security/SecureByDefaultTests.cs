using System.Net;
using Broker.Security;
using Xunit;

namespace Broker.HttpTests.Security;

/// <summary>Bound to an address other hosts can reach without authentication, the broker starts only when anonymous access is allowed explicitly.</summary>
public sealed class SecureByDefaultTests : IDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "broker-secure-default-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task On_every_address_without_authentication_the_broker_refuses_to_start()
    {
        var (exitCode, output) = await BrokerProcess.RunUntilExitAsync($"http://0.0.0.0:{BrokerProcess.FreePort()}", _dataPath, TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Contains("Security:AllowAnonymous", output, StringComparison.Ordinal);
        Assert.Contains("no authentication is configured", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allowed_explicitly_the_anonymous_broker_starts_on_every_address_and_serves_without_credentials()
    {
        await using var broker = await BrokerProcess.StartAsync("0.0.0.0", _dataPath, TimeSpan.FromSeconds(60), "--Security:AllowAnonymous", "true");
        using var http = new HttpClient { BaseAddress = broker.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/ngsi-ld/v1/types", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("http://localhost:1026", true)]
    [InlineData("http://127.0.0.1:1026", true)]
    [InlineData("http://127.9.9.9:1026", true)]
    [InlineData("http://[::1]:1026", true)]
    [InlineData("http://unix:/run/broker.sock", true)]
    [InlineData("http://0.0.0.0:1026", false)]
    [InlineData("http://+:1026", false)]
    [InlineData("http://*:1026", false)]
    [InlineData("http://[::]:1026", false)]
    [InlineData("https://broker.luebeck.de:443", false)]
    [InlineData("http://192.168.1.20:1026", false)]
    public void Loopback_addresses_are_told_apart_from_reachable_ones(string address, bool loopback) =>
        Assert.Equal(loopback, SecurityServices.IsLoopback(address));

    [Fact]
    public void The_apikey_command_prints_a_key_and_the_hash_that_admits_it()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, ApiKeys.Issue(["apikey", "--name", "parking-adapter", "--role", "write@luebeck"], output, error));
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var key = Assert.Single(lines, l => l.StartsWith(ApiKeys.Prefix, StringComparison.Ordinal));
        var entry = System.Text.Json.Nodes.JsonNode.Parse(lines[^1])!;
        Assert.Equal(ApiKeys.HashOf(key), (string?)entry["Sha256"]);
        Assert.Equal("parking-adapter", (string?)entry["Name"]);
        Assert.Equal("write@luebeck", (string?)entry["Roles"]![0]);
        Assert.Equal(2, ApiKeys.Issue(["apikey", "--name", "x", "--role", "superuser"], output, error));
        Assert.Contains("not a role", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataPath))
            Directory.Delete(_dataPath, recursive: true);
    }
}
