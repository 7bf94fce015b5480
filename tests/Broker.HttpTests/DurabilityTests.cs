using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>
/// Every write the broker acknowledged survives a crash: concurrent clients create and update entities, the process is
/// killed right after the last acknowledgement, and a new process on the same data folder must show every acknowledged write.
/// </summary>
public sealed class DurabilityTests : IDisposable
{
    private const int Clients = 8;
    private const int EntitiesPerClient = 10;
    private const int UpdatesPerEntity = 2;

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "broker-durability-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Acknowledged_creates_and_updates_survive_a_kill_of_the_process()
    {
        var tenant = "durability";
        var run = Guid.NewGuid().ToString("N")[..8];
        var acknowledged = new ConcurrentDictionary<string, (int Value, int Sequence)>();
        var deleted = new ConcurrentBag<string>();
        var writes = 0;

        await using (var broker = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60)))
        {
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
            {
                using var http = new HttpClient { BaseAddress = broker.BaseAddress };
                http.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
                for (var e = 0; e < EntitiesPerClient; e++)
                {
                    var id = $"urn:ngsi-ld:Meter:{run}-{client}-{e}";
                    var value = client * 1000 + e;
                    using (var created = await http.PostAsync(new Uri("/ngsi-ld/v1/entities", UriKind.Relative),
                        Json($$$"""{"id":"{{{id}}}","type":"Meter","reading":{"type":"Property","value":{{{value}}}},"seq":{"type":"Property","value":0}}""")))
                    {
                        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                    }
                    acknowledged[id] = (value, 0);
                    Interlocked.Increment(ref writes);
                    for (var u = 1; u <= UpdatesPerEntity; u++)
                    {
                        value += 1;
                        using var updated = await http.PatchAsync(new Uri($"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}/attrs", UriKind.Relative),
                            Json($$$"""{"reading":{"type":"Property","value":{{{value}}}},"seq":{"type":"Property","value":{{{u}}}}}"""));
                        Assert.Equal(HttpStatusCode.NoContent, updated.StatusCode);
                        acknowledged[id] = (value, u);
                        Interlocked.Increment(ref writes);
                    }
                    if (e % 5 == 4)
                    {
                        using var removed = await http.DeleteAsync(new Uri($"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}", UriKind.Relative));
                        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
                        acknowledged.TryRemove(id, out _);
                        deleted.Add(id);
                        Interlocked.Increment(ref writes);
                    }
                }
            }));
            broker.Kill();
        }

        Assert.Equal(Clients * EntitiesPerClient * (1 + UpdatesPerEntity) + deleted.Count, writes);
        await using var restarted = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60));
        using var reader = new HttpClient { BaseAddress = restarted.BaseAddress };
        reader.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        var missing = new List<string>();
        foreach (var (id, (value, sequence)) in acknowledged)
        {
            using var response = await reader.GetAsync(new Uri($"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}?options=keyValues", UriKind.Relative));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                missing.Add($"{id}: {(int)response.StatusCode}");
                continue;
            }
            var entity = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if ((int)entity["reading"]! != value || (int)entity["seq"]! != sequence)
                missing.Add($"{id}: reading {entity["reading"]} seq {entity["seq"]}, acknowledged {value} seq {sequence}");
        }
        foreach (var id in deleted)
        {
            using var response = await reader.GetAsync(new Uri($"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}", UriKind.Relative));
            if (response.StatusCode != HttpStatusCode.NotFound)
                missing.Add($"{id}: deleted, but answers {(int)response.StatusCode}");
        }
        var types = JsonNode.Parse(await reader.GetStringAsync(new Uri("/ngsi-ld/v1/types", UriKind.Relative)))!;
        Assert.Equal(["Meter"], types["typeList"]!.AsArray().Select(t => (string?)t));
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged writes lost:\n{string.Join('\n', missing)}");
        Assert.Equal(Clients * EntitiesPerClient, acknowledged.Count + deleted.Count);
        Assert.Equal(Clients * 2, deleted.Count);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataPath))
            Directory.Delete(_dataPath, recursive: true);
    }
}
