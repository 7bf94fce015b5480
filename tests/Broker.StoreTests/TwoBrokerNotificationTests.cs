using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// Two broker nodes on one PostgreSQL database notify as one broker: one node at a time matches and delivers (the
/// dispatch lease), so every change is notified once whichever node it was written through, and when the delivering
/// node stops, the other one takes over what was left.
/// </summary>
public sealed class TwoBrokerNotificationTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Outbound:AllowLoopback"] = "true",
        ["Notifications:FirstRetryDelay"] = "00:00:00.200",
        ["Notifications:MaxRetryDelay"] = "00:00:01",
    };

    private static StringContent SubscriptionOf(string type, string endpoint) =>
        TestBroker.Json(new JsonObject
        {
            ["type"] = "Subscription",
            ["entities"] = new JsonArray(new JsonObject { ["type"] = type }),
            ["notification"] = new JsonObject { ["format"] = "keyValues", ["endpoint"] = new JsonObject { ["uri"] = endpoint } },
        }.ToJsonString());

    [PostgresFact]
    public async Task Updates_through_both_nodes_are_each_notified_once()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        using var first = new TestBroker(database.ConnectionString, Settings);
        using var second = new TestBroker(database.ConnectionString, Settings);
        using var a = first.Client("two-nodes");
        using var b = second.Client("two-nodes");
        Assert.Equal(HttpStatusCode.Created, (await a.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:counter","type":"Counter","n":{"type":"Property","value":0}}"""))).StatusCode);
        var subscription = SubscriptionOf("Counter", receiver.Url);
        Assert.Equal(HttpStatusCode.Created, (await b.PostAsync("/ngsi-ld/v1/subscriptions", subscription)).StatusCode);

        for (var n = 1; n <= 20; n++)
        {
            var client = n % 2 == 0 ? a : b;
            var response = await client.PatchAsync("/ngsi-ld/v1/entities/urn:x:counter/attrs", TestBroker.Json($$$"""{"n":{"type":"Property","value":{{{n}}}}}"""));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        await receiver.WaitForAsync(values => values.Contains(20), TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var values = receiver.Values();
        Assert.Equal(Enumerable.Range(1, 20), values);
    }

    [PostgresFact]
    public async Task When_the_delivering_node_stops_the_other_one_delivers_what_is_left()
    {
        await using var receiver = await LoopbackReceiver.StartAsync(failFirst: int.MaxValue);
        var first = new TestBroker(database.ConnectionString, Settings);
        using var second = new TestBroker(database.ConnectionString, Settings);
        using var a = first.Client("takeover");
        using var b = second.Client("takeover");
        Assert.Equal(HttpStatusCode.Created, (await a.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:gauge","type":"Gauge","n":{"type":"Property","value":0}}"""))).StatusCode);
        var subscription = SubscriptionOf("Gauge", receiver.Url);
        Assert.Equal(HttpStatusCode.Created, (await a.PostAsync("/ngsi-ld/v1/subscriptions", subscription)).StatusCode);
        for (var n = 1; n <= 5; n++)
            Assert.Equal(HttpStatusCode.NoContent, (await b.PatchAsync("/ngsi-ld/v1/entities/urn:x:gauge/attrs", TestBroker.Json($$$"""{"n":{"type":"Property","value":{{{n}}}}}"""))).StatusCode);
        await receiver.WaitForRequestsAsync(1, TimeSpan.FromSeconds(20));

        first.Dispose();
        a.Dispose();
        receiver.Recover();

        await receiver.WaitForAsync(values => Enumerable.Range(1, 5).All(values.Contains), TimeSpan.FromSeconds(30));
    }
}

/// <summary>
/// A broker stopped gracefully while its endpoint is down writes what it still owes to the outbox with its feed position,
/// so a broker started on the same data delivers every acknowledged change. The save interval is longer than the test,
/// so the save at shutdown is the only one.
/// </summary>
public sealed class GracefulStopNotificationTests : IDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "ngsi-graceful-" + Guid.NewGuid().ToString("N"));

    private Dictionary<string, string> Settings => new()
    {
        ["Storage:DataPath"] = _dataPath,
        ["Outbound:AllowLoopback"] = "true",
        ["Notifications:FirstRetryDelay"] = "00:00:00.200",
        ["Notifications:MaxRetryDelay"] = "00:00:01",
        ["Notifications:PollInterval"] = "00:01:00",
    };

    [Fact]
    public async Task What_a_stopped_broker_still_owed_is_delivered_by_the_next_one()
    {
        await using var receiver = await LoopbackReceiver.StartAsync(failFirst: int.MaxValue);
        using (var first = new TestBroker(null, Settings))
        using (var client = first.Client("graceful"))
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:lock","type":"Lock","n":{"type":"Property","value":0}}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/subscriptions", TestBroker.Json($$$$"""
                {"type":"Subscription","entities":[{"type":"Lock"}],"notification":{"format":"keyValues","endpoint":{"uri":"{{{{receiver.Url}}}}"}}}
                """))).StatusCode);
            for (var n = 1; n <= 5; n++)
                Assert.Equal(HttpStatusCode.NoContent, (await client.PatchAsync("/ngsi-ld/v1/entities/urn:x:lock/attrs", TestBroker.Json($$$"""{"n":{"type":"Property","value":{{{n}}}}}"""))).StatusCode);
            await receiver.WaitForRequestsAsync(1, TimeSpan.FromSeconds(20));
        }
        receiver.Recover();

        using var second = new TestBroker(null, Settings);
        using var _ = second.Client("graceful");
        await receiver.WaitForAsync(values => Enumerable.Range(1, 5).All(values.Contains), TimeSpan.FromSeconds(20));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataPath))
            Directory.Delete(_dataPath, recursive: true);
    }
}

/// <summary>A notification endpoint on loopback that records the value n of every entity it is notified of.</summary>
internal sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentQueue<int> _values = new();
    private readonly Task _loop;
    private int _failuresLeft;
    private int _requests;

    private LoopbackReceiver(HttpListener listener, string url, int failFirst)
    {
        _listener = listener;
        Url = url;
        _failuresLeft = failFirst;
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public static Task<LoopbackReceiver> StartAsync(int failFirst = 0)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 60_000);
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return Task.FromResult(new LoopbackReceiver(listener, $"http://127.0.0.1:{port}/notify", failFirst));
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
            }
        }
    }

    /// <summary>Answers 200 from now on.</summary>
    public void Recover() => Volatile.Write(ref _failuresLeft, 0);

    public List<int> Values() => [.. _values];

    public async Task WaitForAsync(Func<List<int>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Values()))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"The receiver got [{string.Join(", ", Values())}] in {timeout}.");
            await Task.Delay(50);
        }
    }

    public async Task WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _requests) < count)
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"The receiver got {_requests} requests in {timeout}, not {count}.");
            await Task.Delay(50);
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref _requests);
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
            {
                context.Response.StatusCode = 503;
                context.Response.Close();
                continue;
            }
            foreach (var entity in JsonNode.Parse(body)!["data"]!.AsArray())
                _values.Enqueue(entity!["n"]!.GetValue<int>());
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
