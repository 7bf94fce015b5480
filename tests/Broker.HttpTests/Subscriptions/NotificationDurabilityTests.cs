using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// Nothing acknowledged is forgotten (the transactional outbox): updates are acknowledged while the endpoint is down, the
/// broker is killed (as kill -9 would), and a new broker process on the same data must deliver the notification of every
/// acknowledged update once the endpoint is up (at least once each).
/// </summary>
public sealed class NotificationDurabilityTests : IDisposable
{
    private const int Updates = 20;
    private const string Tenant = "subscription-durability";

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "broker-subscription-durability-" + Guid.NewGuid().ToString("N"));
    private readonly string? _database = PostgresDatabases.CreateIfConfigured();

    private string[] Settings =>
    [
        "--Outbound:AllowLoopback", "true",
        "--Notifications:FirstRetryDelay", "00:00:00.100",
        "--Notifications:MaxRetryDelay", "00:00:00.500",
        .. _database is null ? Array.Empty<string>() : ["--ConnectionStrings:Postgres", _database],
    ];

    [Fact]
    public async Task Every_acknowledged_update_is_notified_after_the_broker_was_killed_while_the_endpoint_was_down()
    {
        var port = BrokerProcess.FreePort();
        var path = NotificationReceiver.NewPath("durable");
        var entity = "urn:ngsi-ld:Bridge:" + Guid.NewGuid().ToString("N");
        string subscription;

        await using (var broker = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60), Settings))
        {
            using var http = new HttpClient { BaseAddress = broker.BaseAddress };
            http.DefaultRequestHeaders.Add("NGSILD-Tenant", Tenant);
            using (var created = await http.PostAsync(new Uri("/ngsi-ld/v1/entities", UriKind.Relative),
                Json($$$"""{"id":"{{{entity}}}","type":"Bridge","clearance":{"type":"Property","value":0}}""")))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
            using (var subscribed = await http.PostAsync(new Uri("/ngsi-ld/v1/subscriptions", UriKind.Relative), Json($$$"""
                {"type":"Subscription","entities":[{"id":"{{{entity}}}","type":"Bridge"}],
                 "notification":{"format":"keyValues","attributes":["clearance"],"endpoint":{"uri":"http://127.0.0.1:{{{port}}}{{{path}}}"}} }
                """)))
            {
                Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
                subscription = Uri.UnescapeDataString(subscribed.Headers.Location!.OriginalString["/ngsi-ld/v1/subscriptions/".Length..]);
            }
            for (var value = 1; value <= Updates; value++)
            {
                using var updated = await http.PatchAsync(new Uri($"/ngsi-ld/v1/entities/{entity}/attrs", UriKind.Relative),
                    Json($$$"""{"clearance":{"type":"Property","value":{{{value}}}}}"""));
                Assert.Equal(HttpStatusCode.NoContent, updated.StatusCode);
            }
            // The broker has found the endpoint down (and kept what it owes in the outbox) before it is killed.
            await WaitForFailuresAsync(http, subscription, 2);
            broker.Kill();
        }

        await using var receiver = NotificationReceiver.OnPort(port);
        await using var restarted = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60), Settings);
        var expected = Enumerable.Range(1, Updates).ToHashSet();
        IReadOnlyList<ReceivedRequest> notifications;
        try
        {
            notifications = await receiver.WaitUntilAsync(path, requests => expected.IsSubsetOf(ValuesOf(requests)), TimeSpan.FromSeconds(20),
                $"the notifications of the {Updates} acknowledged updates");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nThe restarted broker's log:\n{restarted.Log}");
        }

        Assert.Equal(expected.Order(), ValuesOf(notifications).Distinct().Order());
        foreach (var notification in notifications)
        {
            var body = notification.Json;
            Assert.Equal(("Notification", subscription), ((string?)body["type"], (string?)body["subscriptionId"]));
            Assert.StartsWith("urn:ngsi-ld:Notification:", (string?)body["id"], StringComparison.Ordinal);
            Assert.Equal(Tenant, notification.Header("NGSILD-Tenant"));
            Assert.Equal(entity, (string?)Assert.Single(body["data"]!.AsArray())!["id"]);
        }
        // In the order of the updates, each value first delivered after the one before it (a value may come again: at least once).
        var firsts = ValuesOf(notifications).Distinct().ToList();
        Assert.Equal(firsts.Order(), firsts);
    }

    private static async Task WaitForFailuresAsync(HttpClient http, string subscription, int count)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var shown = JsonNode.Parse(await http.GetStringAsync(new Uri($"/ngsi-ld/v1/subscriptions/{subscription}", UriKind.Relative)))!;
            if ((int?)shown["notification"]?["timesFailed"] >= count)
                return;
            if (DateTimeOffset.UtcNow > deadline)
                Assert.Fail($"The subscription shows no {count} failed notifications within 20 s: {shown.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    /// <summary>The values notified, in the order they arrived.</summary>
    private static List<int> ValuesOf(IEnumerable<ReceivedRequest> requests) =>
        [.. requests.SelectMany(r => r.Json["data"]!.AsArray()).Select(e => (int)e!["clearance"]!)];

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
