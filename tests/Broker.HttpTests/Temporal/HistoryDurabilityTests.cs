using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// The history survives the broker: a process records a history (through the entity API and through temporal
/// provision), is killed as kill -9 would, and a new process on the same data (the data folder; on PostgreSQL the same
/// database) answers the same history, records what the feed held but the history had not yet, and records on.
/// </summary>
public sealed class HistoryDurabilityTests : IDisposable
{
    private const string Tenant = "temporal-durability";
    private static readonly DateTimeOffset T0 = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "broker-temporal-durability-" + Guid.NewGuid().ToString("N"));
    private readonly string? _database = PostgresDatabases.CreateIfConfigured();

    private string[] Settings => _database is null ? [] : ["--ConnectionStrings:Postgres", _database];

    [Fact]
    public async Task The_history_is_the_same_after_the_broker_was_killed_and_restarted()
    {
        var id = "urn:ngsi-ld:Gauge:" + Guid.NewGuid().ToString("N");
        var path = $"/ngsi-ld/v1/temporal/entities/{id}";
        string before;

        await using (var broker = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60), Settings))
        {
            using var http = Client(broker);
            await Expect(HttpStatusCode.Created, await http.PostAsync(new Uri("/ngsi-ld/v1/entities", UriKind.Relative),
                Json($$$"""{"id":"{{{id}}}","type":"Gauge","level":{"type":"Property","value":0,"observedAt":"{{{At(0)}}}"}}""")));
            for (var h = 1; h <= 5; h++)
            {
                await Expect(HttpStatusCode.NoContent, await http.PatchAsync(new Uri($"/ngsi-ld/v1/entities/{id}/attrs", UriKind.Relative),
                    Json($$$"""{"level":{"type":"Property","value":{{{h}}},"observedAt":"{{{At(h)}}}"}}""")));
            }
            // Older observations go into the history directly.
            await Expect(HttpStatusCode.NoContent, await http.PostAsync(new Uri("/ngsi-ld/v1/temporal/entities", UriKind.Relative),
                Json($$$"""{"id":"{{{id}}}","type":"Gauge","level":[{"type":"Property","value":-1,"observedAt":"{{{At(-1)}}}"}]}""")));
            before = await http.GetStringAsync(new Uri(path, UriKind.Relative));
            // Acknowledged but perhaps not yet recorded when the process dies: the restarted broker records it from the feed.
            await Expect(HttpStatusCode.NoContent, await http.PatchAsync(new Uri($"/ngsi-ld/v1/entities/{id}/attrs", UriKind.Relative),
                Json($$$"""{"level":{"type":"Property","value":6,"observedAt":"{{{At(6)}}}"}}""")));
            broker.Kill();
        }

        await using var restarted = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60), Settings);
        using var reader = Client(restarted);
        var after = Assert.IsType<JsonObject>(JsonNode.Parse(await reader.GetStringAsync(new Uri(path, UriKind.Relative))));
        var recorded = Assert.IsType<JsonObject>(JsonNode.Parse(before));

        var levels = after["level"]!.AsArray().Select(i => (double)i!["value"]!).ToList();
        Assert.Equal([-1.0, 0, 1, 2, 3, 4, 5, 6], levels);
        // What was recorded before is still there, instance ids and all.
        var afterInstances = after["level"]!.AsArray().Take(7).Select(i => i!.ToJsonString());
        Assert.Equal(recorded["level"]!.AsArray().Select(i => i!.ToJsonString()), afterInstances);

        await Expect(HttpStatusCode.NoContent, await reader.PatchAsync(new Uri($"/ngsi-ld/v1/entities/{id}/attrs", UriKind.Relative),
            Json($$$"""{"level":{"type":"Property","value":7,"observedAt":"{{{At(7)}}}"}}""")));
        var latest = JsonNode.Parse(await reader.GetStringAsync(new Uri(path + "?lastN=1", UriKind.Relative)))!;
        Assert.Equal(7, (int)latest["level"]![0]!["value"]!);
    }

    private static string At(int hours) => T0.AddHours(hours).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static HttpClient Client(BrokerProcess broker)
    {
        var http = new HttpClient { BaseAddress = broker.BaseAddress };
        http.DefaultRequestHeaders.Add("NGSILD-Tenant", Tenant);
        return http;
    }

    private static async Task Expect(HttpStatusCode expected, HttpResponseMessage response)
    {
        using (response)
        {
            if (response.StatusCode != expected)
                throw new Xunit.Sdk.XunitException($"Expected {(int)expected} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataPath))
            Directory.Delete(_dataPath, recursive: true);
        if (_database is not null)
            PostgresDatabases.Drop(_database);
    }
}
