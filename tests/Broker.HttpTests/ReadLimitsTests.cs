using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Broker.HttpTests;

public sealed class ReadTimeoutBrokerFactory() : BrokerFactory(new()
{
    ["Broker:ReadTimeout"] = "00:00:00.500",
    ["Federation:Timeout"] = "00:00:30",
    ["Outbound:AllowLoopback"] = "true",
});

/// <summary>Reads are stopped after Broker:ReadTimeout with a 503 ProblemDetails; q and scopeQ longer than 8192 characters are refused.</summary>
public sealed class ReadLimitsTests(ReadTimeoutBrokerFactory factory) : BrokerTest<ReadTimeoutBrokerFactory>(factory), IDisposable
{
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task A_read_that_outlasts_the_read_timeout_is_stopped_with_503()
    {
        // A context source that accepts connections and never answers: the forwarded query waits (Federation:Timeout is 30 s).
        _silent.Start();
        var type = "SlowThing" + Guid.NewGuid().ToString("N")[..8];
        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/csourceRegistrations",
            $$"""{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{type}}"}]}],"endpoint":"http://127.0.0.1:{{((IPEndPoint)_silent.LocalEndpoint).Port}}"}"""));

        var clock = Stopwatch.StartNew();
        var problem = await AssertProblem(await Client.GetAsync(new Uri($"{Entities}?type={type}", UriKind.Relative)), HttpStatusCode.ServiceUnavailable, "InternalError");
        Assert.Contains("did not finish within", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopped only after {clock.Elapsed}");
    }

    [Theory]
    [InlineData("q", "a==1;", "q: the expression has")]
    [InlineData("scopeQ", "/a/b,", "scopeQ: the expression has")]
    public async Task An_expression_longer_than_8192_characters_is_400(string parameter, string repeated, string detail)
    {
        var text = string.Concat(Enumerable.Repeat(repeated, 8192 / repeated.Length + 1)).TrimEnd(';', ',');
        var problem = await AssertProblem(await Client.GetAsync(new Uri($"{Entities}?type=Thing&{parameter}={Uri.EscapeDataString(text)}", UriKind.Relative)),
            HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Contains(detail, (string?)problem["detail"], StringComparison.Ordinal);
    }

    public void Dispose() => _silent.Stop();
}
