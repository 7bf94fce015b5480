using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// Plumbing of the subscription tests: the class's broker and notification receiver, subscription requests, waits for
/// notifications and for a subscription's state, and the checks every notification must pass (clause 5.3.1).
/// </summary>
public abstract class SubscriptionTest<TFactory> : BrokerTest<TFactory>, IClassFixture<NotificationReceiver>, IAsyncLifetime
    where TFactory : BrokerFactory
{
    public const string Subscriptions = "/ngsi-ld/v1/subscriptions";
    public const string ContextRel = "http://www.w3.org/ns/json-ld#context";

    /// <summary>How long a notification that is due may take to arrive (generous: the test classes run in parallel on two cores).</summary>
    protected static readonly TimeSpan Due = TimeSpan.FromSeconds(15);

    /// <summary>How long a test listens for a notification that must not come, when no later notification can show its absence.</summary>
    protected static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    protected SubscriptionTest(TFactory factory, NotificationReceiver receiver) : base(factory)
    {
        Receiver = receiver;
    }

    protected NotificationReceiver Receiver { get; }

    /// <summary>Each test starts once the broker dispatches (<see cref="SubscriptionBrokerFactory.DispatchingAsync"/>).</summary>
    public Task InitializeAsync() => Factory is SubscriptionBrokerFactory factory ? factory.DispatchingAsync() : Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;

    protected static string SubscriptionPath(string id) => $"{Subscriptions}/{Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal)}";

    protected static string LinkTo(string contextUrl) => $"<{contextUrl}>; rel=\"{ContextRel}\"; type=\"application/ld+json\"";

    /// <summary>A request with a Link header naming <paramref name="contextUrl"/> (clause 6.3.5).</summary>
    protected static HttpRequestMessage LinkedRequest(HttpMethod method, string uri, string contextUrl, string? body = null)
    {
        var request = Request(method, uri, body);
        request.Headers.TryAddWithoutValidation("Link", LinkTo(contextUrl));
        return request;
    }

    /// <summary>Creates a subscription (201 with its Location) and returns its id.</summary>
    protected Task<string> SubscribeAsync(string body) => SubscribeAsync(Client, body);

    protected static async Task<string> SubscribeAsync(HttpClient client, string body, string? contextUrl = null)
    {
        using var request = contextUrl is null ? Request(HttpMethod.Post, Subscriptions, body) : LinkedRequest(HttpMethod.Post, Subscriptions, contextUrl, body);
        var response = await client.SendAsync(request);
        await AssertStatus(HttpStatusCode.Created, response);
        var location = response.Headers.Location?.OriginalString ?? throw new Xunit.Sdk.XunitException("201 without a Location header");
        Assert.StartsWith(Subscriptions + "/", location, StringComparison.Ordinal);
        return Uri.UnescapeDataString(location[(Subscriptions.Length + 1)..]);
    }

    /// <summary>A subscription of the entities of <paramref name="type"/> notified to <paramref name="path"/> of the receiver; <paramref name="members"/> are more members, as JSON text after a comma.</summary>
    protected string SubscriptionOf(string type, string path, string members = "", string notification = "") =>
        $$$"""
        {"type":"Subscription","entities":[{"type":"{{{type}}}"}]{{{Comma(members)}}},
         "notification":{"endpoint":{"uri":"{{{Receiver.UrlOf(path)}}}"}{{{Comma(notification)}}}} }
        """;

    private static string Comma(string members) => members.Length == 0 ? "" : "," + members;

    protected async Task<JsonObject> GetSubscriptionAsync(string id, HttpClient? client = null)
    {
        var response = await (client ?? Client).GetAsync(new Uri(SubscriptionPath(id), UriKind.Relative));
        await AssertStatus(HttpStatusCode.OK, response);
        return Assert.IsType<JsonObject>(await ReadJsonAsync(response));
    }

    /// <summary>Polls the subscription until <paramref name="condition"/> holds (its delivery status is stored after the answer of the endpoint).</summary>
    protected async Task<JsonObject> WaitForSubscriptionAsync(string id, Func<JsonObject, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? Due);
        while (true)
        {
            var subscription = await GetSubscriptionAsync(id);
            if (condition(subscription))
                return subscription;
            if (DateTimeOffset.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"The subscription did not show {what} within {timeout ?? Due}: {subscription.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    protected async Task PatchSubscriptionAsync(string id, string fragment)
    {
        var response = await SendAsync(HttpMethod.Patch, SubscriptionPath(id), fragment);
        await AssertStatus(HttpStatusCode.NoContent, response);
    }

    /// <summary>
    /// Ends the notifications of a subscription that would go on (retries, periodic ones) by pausing it. A delete would
    /// do, but on PostgreSQL a delete during deliveries can fail (DeleteWhileDeliveringTests), which is not what the
    /// calling test is about.
    /// </summary>
    protected Task StopAsync(string id) => PatchSubscriptionAsync(id, """{"isActive":false}""");

    protected async Task PatchAttrsAsync(string entityId, string fragment)
    {
        var response = await SendAsync(HttpMethod.Patch, AttrsPath(entityId), fragment);
        await AssertStatus(HttpStatusCode.NoContent, response);
    }

    /// <summary>Sets the Property <paramref name="attribute"/> to <paramref name="value"/> (a JSON value).</summary>
    protected Task SetAsync(string entityId, string attribute, object value) =>
        PatchAttrsAsync(entityId, $$$"""{"{{{attribute}}}":{"type":"Property","value":{{{JsonValue.Create(value)!.ToJsonString()}}}} }""");

    /// <summary>
    /// Checks a notification (clause 5.3.1): a POST whose body has exactly id (urn:ngsi-ld:Notification:{uuid}), type
    /// Notification, subscriptionId, notifiedAt (a UTC date-time no later than the request) and data; returns data.
    /// </summary>
    protected static JsonNode AssertNotification(ReceivedRequest request, string subscriptionId)
    {
        Assert.Equal("POST", request.Method);
        var body = request.Json;
        Assert.Equal(["data", "id", "notifiedAt", "subscriptionId", "type"], body.Select(member => member.Key).Order(StringComparer.Ordinal));
        var id = (string)body["id"]!;
        Assert.StartsWith("urn:ngsi-ld:Notification:", id, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(id["urn:ngsi-ld:Notification:".Length..], out _), $"The notification id {id} does not end with a UUID");
        Assert.Equal("Notification", (string?)body["type"]);
        Assert.Equal(subscriptionId, (string?)body["subscriptionId"]);
        var notifiedAt = AssertInstant(body["notifiedAt"]);
        Assert.True(notifiedAt <= request.ReceivedAt.AddMilliseconds(50), $"notifiedAt {notifiedAt:O} is after the request arrived ({request.ReceivedAt:O})");
        Assert.True(notifiedAt > request.ReceivedAt.AddMinutes(-1), $"notifiedAt {notifiedAt:O} is long before the request arrived ({request.ReceivedAt:O})");
        return body["data"]!;
    }

    /// <summary>The entities of a notification: its data array, after <see cref="AssertNotification"/>.</summary>
    protected static JsonArray DataOf(ReceivedRequest request, string subscriptionId) => Assert.IsType<JsonArray>(AssertNotification(request, subscriptionId));

    /// <summary>The one entity of a notification.</summary>
    protected static JsonObject SingleEntityOf(ReceivedRequest request, string subscriptionId) =>
        Assert.IsType<JsonObject>(Assert.Single(DataOf(request, subscriptionId)));

    /// <summary>The entities of notifications in the order they were notified, each notification checked by <see cref="AssertNotification"/>.</summary>
    protected static List<JsonObject> EntitiesOf(IEnumerable<ReceivedRequest> requests, string subscriptionId) =>
        [.. requests.SelectMany(r => DataOf(r, subscriptionId)).Select(e => Assert.IsType<JsonObject>(e!.DeepClone()))];

    /// <summary>Waits until the notifications to <paramref name="path"/> hold <paramref name="count"/> entities in all (several changes may share one).</summary>
    protected Task<IReadOnlyList<ReceivedRequest>> WaitForEntitiesAsync(string path, int count) =>
        Receiver.WaitUntilAsync(path, requests => requests.Sum(r => r.Json["data"] is JsonArray data ? data.Count : 0) >= count, Due, $"{count} notified entities");

    /// <summary>A date-time in UTC (ending in Z), as NGSI-LD writes them (clause 4.6.3).</summary>
    protected static DateTimeOffset AssertInstant(JsonNode? node)
    {
        var text = Assert.IsType<string>((string?)node);
        Assert.EndsWith("Z", text, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant), $"'{text}' is not a date-time");
        return instant;
    }

    /// <summary>The media type of the Content-Type header (without parameters).</summary>
    protected static string? MediaTypeOf(ReceivedRequest request) => request.Header("Content-Type")?.Split(';')[0].Trim();

    /// <summary>An expected payload of Data/Subscriptions/, with each {{name}} replaced.</summary>
    protected static JsonNode ExpectedPayload(string file, params (string Name, string Value)[] replacements)
    {
        var text = File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Data", "Subscriptions", file));
        foreach (var (name, value) in replacements)
            text = text.Replace("{{" + name + "}}", value, StringComparison.Ordinal);
        return JsonNode.Parse(text)!;
    }

    /// <summary>A type no other test uses, so that a test's subscriptions see only its own entities.</summary>
    protected static string NewType(string kind = "Bridge") => kind + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The bridge of Data/Subscriptions/bridge.json (a drawbridge over the Trave) with the given id and type.</summary>
    protected static JsonObject Bridge(string id, string type) => (JsonObject)ExpectedPayload("bridge.json", ("id", id), ("type", type));

    /// <summary>Creates <see cref="Bridge"/> of <paramref name="type"/> and returns its id.</summary>
    protected async Task<string> CreateBridgeAsync(string type, string file = "bridge.json")
    {
        var id = NewId(type);
        var response = await SendAsync(HttpMethod.Post, Entities, ExpectedPayload(file, ("id", id), ("type", type)));
        await AssertStatus(HttpStatusCode.Created, response);
        return id;
    }

    /// <summary>The NGSI-LD Null of a deleted Property (clause 5.2.1).</summary>
    protected static JsonObject DeletedProperty() => new() { ["type"] = "Property", ["value"] = "urn:ngsi-ld:null" };

    /// <summary>
    /// The headers of a JSON notification (clause 5.8.6, 6.3.14): Content-Type application/json, a Link to the
    /// subscription's @context (clause 6.3.5), and NGSILD-Tenant naming the tenant of the subscription.
    /// </summary>
    protected void AssertJsonHeaders(ReceivedRequest request, string contextUrl = CoreContextUrl)
    {
        Assert.Equal("application/json", MediaTypeOf(request));
        Assert.Equal(LinkTo(contextUrl), request.Header("Link"));
        Assert.Equal(Tenant, request.Header("NGSILD-Tenant"));
    }
}
