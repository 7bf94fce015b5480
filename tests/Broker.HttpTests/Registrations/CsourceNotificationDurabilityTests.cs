using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Broker.HttpTests.Subscriptions;
using Xunit;

namespace Broker.HttpTests.Registrations;

/// <summary>
/// CsourceNotifications owed when the broker is killed are delivered by the next broker process on the same data:
/// registrations change while the csourceSubscription's endpoint is down, the broker is killed (as kill -9 would), and
/// once the endpoint is up the restarted broker notifies every change, in order (at least once each).
/// </summary>
public sealed class CsourceNotificationDurabilityTests : IDisposable
{
    private const int Registrations = 5;
    private const string Tenant = "csource-durability";

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "broker-csource-durability-" + Guid.NewGuid().ToString("N"));
    private readonly string? _database = PostgresDatabases.CreateIfConfigured();

    private string[] Settings =>
    [
        "--Outbound:AllowLoopback", "true",
        "--Notifications:FirstRetryDelay", "00:00:00.100",
        "--Notifications:MaxRetryDelay", "00:00:00.500",
        .. _database is null ? Array.Empty<string>() : ["--ConnectionStrings:Postgres", _database],
    ];

    [Fact]
    public async Task Every_registration_change_is_notified_after_the_broker_was_killed_while_the_endpoint_was_down()
    {
        var port = BrokerProcess.FreePort();
        var path = NotificationReceiver.NewPath("csource-durable");
        var type = "Durable" + Guid.NewGuid().ToString("N")[..8];
        var registrations = Enumerable.Range(1, Registrations).Select(i => $"urn:ngsi-ld:ContextSourceRegistration:durable-{i}-{Guid.NewGuid():N}").ToList();
        string subscription;

        await using (var broker = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60), Settings))
        {
            using var http = new HttpClient { BaseAddress = broker.BaseAddress };
            http.DefaultRequestHeaders.Add("NGSILD-Tenant", Tenant);
            using (var subscribed = await http.PostAsync(new Uri("/ngsi-ld/v1/csourceSubscriptions", UriKind.Relative), Json($$"""
                {"type":"Subscription","entities":[{"type":"{{type}}"}],"notification":{"endpoint":{"uri":"http://127.0.0.1:{{port}}{{path}}","accept":"application/json"} } }
                """)))
            {
                Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
                subscription = Uri.UnescapeDataString(subscribed.Headers.Location!.OriginalString["/ngsi-ld/v1/csourceSubscriptions/".Length..]);
            }
            foreach (var id in registrations)
            {
                using var registered = await http.PostAsync(new Uri("/ngsi-ld/v1/csourceRegistrations", UriKind.Relative), Json($$"""
                    {"id":"{{id}}","type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{type}}"}]}],"endpoint":"http://cs.example.org"}
                    """));
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            }
            // The broker has found the endpoint down before it is killed.
            await WaitForFailuresAsync(http, subscription, 2);
            broker.Kill();
        }

        await using var receiver = NotificationReceiver.OnPort(port);
        await using var restarted = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60), Settings);
        IReadOnlyList<ReceivedRequest> notifications;
        try
        {
            notifications = await receiver.WaitUntilAsync(path, requests => registrations.All(ExpectedIn(requests).Contains), TimeSpan.FromSeconds(20),
                $"the notifications of the {Registrations} registrations");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nThe restarted broker's log:\n{restarted.Log}");
        }

        foreach (var notification in notifications)
        {
            Assert.Equal(("ContextSourceNotification", subscription, "newlyMatching"),
                ((string?)notification.Json["type"], (string?)notification.Json["subscriptionId"], (string?)notification.Json["triggerReason"]));
            Assert.Equal(Tenant, notification.Header("NGSILD-Tenant"));
        }
        Assert.Equal(registrations, ExpectedIn(notifications).Distinct());

        using var client = new HttpClient { BaseAddress = restarted.BaseAddress };
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", Tenant);
        var status = JsonNode.Parse(await client.GetStringAsync(new Uri($"/ngsi-ld/v1/csourceSubscriptions/{subscription}", UriKind.Relative)))!["notification"]!;
        Assert.True((int?)status["timesFailed"] >= 2, status.ToJsonString());
        Assert.NotNull((string?)status["lastSuccess"]);
    }

    private static List<string> ExpectedIn(IEnumerable<ReceivedRequest> requests) =>
        [.. requests.SelectMany(r => r.Json["data"]!.AsArray()).Select(r => (string)r!["id"]!)];

    private static async Task WaitForFailuresAsync(HttpClient http, string subscription, int count)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var shown = JsonNode.Parse(await http.GetStringAsync(new Uri($"/ngsi-ld/v1/csourceSubscriptions/{subscription}", UriKind.Relative)))!;
            if ((int?)shown["notification"]?["timesFailed"] >= count)
                return;
            if (DateTimeOffset.UtcNow > deadline)
                Assert.Fail($"The csourceSubscription shows no {count} failed notifications within 20 s: {shown.ToJsonString()}");
            await Task.Delay(50);
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
