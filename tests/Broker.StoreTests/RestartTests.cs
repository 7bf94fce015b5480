using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// PostgreSQL stops under a running broker: requests get 503 with a ProblemDetails body; once it is back, they succeed
/// again without restarting the broker. Needs to stop and start the cluster: pg_ctlcluster as root, as under
/// scripts/with-postgres.sh (pg_virtualenv).
/// </summary>
public sealed class RestartTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [PostgresFact]
    public async Task While_PostgreSQL_is_down_the_broker_answers_503_and_recovers_by_itself_when_it_is_back()
    {
        using var broker = new TestBroker(database.ConnectionString);
        using var client = broker.Client("restart");
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:r","type":"Room"}"""))).StatusCode);

        var (version, cluster) = await ClusterAsync();
        Run("pg_ctlcluster", version, cluster, "stop", "-m", "fast");
        try
        {
            foreach (var request in new Func<Task<HttpResponseMessage>>[]
            {
                () => client.GetAsync("/ngsi-ld/v1/entities/urn:x:r"),
                () => client.GetAsync("/ngsi-ld/v1/entities?type=Room"),
                () => client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:down","type":"Room"}""")),
            })
            {
                var response = await request();
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.StatusCode}: {body}");
                Assert.Contains(response.Content.Headers.ContentType?.MediaType, new[] { "application/json", "application/problem+json" });
                using var problem = JsonDocument.Parse(body);
                Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
                Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
                Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/ready")).StatusCode);
        }
        finally
        {
            Run("pg_ctlcluster", version, cluster, "start");
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage read;
        do
        {
            read = await client.GetAsync("/ngsi-ld/v1/entities/urn:x:r");
            if (read.StatusCode == HttpStatusCode.OK)
                break;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:after","type":"Room"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);
    }

    /// <summary>The Debian cluster of the server, from its cluster_name setting ("15/regress" under pg_virtualenv).</summary>
    private async Task<(string Version, string Name)> ClusterAsync()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW cluster_name", connection);
        var name = (string)(await command.ExecuteScalarAsync())!;
        var parts = name.Split('/');
        Assert.True(parts.Length == 2, $"cluster_name '{name}' is not a Debian 'version/name': run the tests under scripts/with-postgres.sh.");
        return (parts[0], parts[1]);
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed: {error}");
    }
}
