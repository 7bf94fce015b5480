using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// How notifications are delivered (clause 5.8.6, 5.2.14): the delivery status a subscription shows after a success and
/// after a failure, retries with backoff until the endpoint answers, the order of one subscription's notifications, many
/// subscriptions of one entity, and endpoints that do not wait for each other.
/// </summary>
public sealed class DeliveryTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    private async Task<(string Id, string Path, string Subscription, string Type)> BridgeWithSubscriptionAsync(Reply? reply = null, string members = "")
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        if (reply is not null)
            Receiver.Answer(path, reply);
        var subscription = await SubscribeAsync(SubscriptionOf(type, path, members, "\"format\":\"keyValues\",\"attributes\":[\"clearance\"]"));
        return (id, path, subscription, type);
    }

    [Fact]
    public async Task After_a_delivered_notification_the_subscription_shows_timesSent_lastNotification_lastSuccess_and_status_ok()
    {
        var (id, path, subscription, _) = await BridgeWithSubscriptionAsync();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await SetAsync(id, "clearance", 7);

        var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        var shown = await WaitForSubscriptionAsync(subscription, s => s["notification"]?["timesSent"] is not null, "timesSent");
        var status = shown["notification"]!.AsObject();
        Assert.Equal(("ok", 1), ((string?)status["status"], (int?)status["timesSent"]));
        var lastNotification = AssertInstant(status["lastNotification"]);
        var lastSuccess = AssertInstant(status["lastSuccess"]);
        Assert.InRange(lastNotification, before, DateTimeOffset.UtcNow);
        Assert.InRange(lastSuccess, lastNotification, DateTimeOffset.UtcNow);
        Assert.False(status.ContainsKey("timesFailed"), "timesFailed after a success only");
        Assert.False(status.ContainsKey("lastFailure"), "lastFailure after a success only");
        Assert.Equal("active", (string?)shown["status"]);
        Assert.Equal(7, (int?)SingleEntityOf(notification, subscription)["clearance"]);
        // Query shows the same delivery status as retrieve.
        var listed = Assert.Single(Assert.IsType<JsonArray>(await GetJsonAsync(Subscriptions + "?limit=1000")), s => (string?)s!["id"] == subscription);
        AssertJsonEqual(status, listed!["notification"]);
    }

    [Fact]
    public async Task After_a_failed_notification_the_subscription_shows_timesFailed_lastFailure_and_status_failed()
    {
        var (id, path, subscription, _) = await BridgeWithSubscriptionAsync(Reply.WithStatus(500));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await SetAsync(id, "clearance", 7);

        await Receiver.WaitForAsync(path, 1, Due);
        var shown = await WaitForSubscriptionAsync(subscription, s => s["notification"]?["timesFailed"] is not null, "timesFailed");
        await StopAsync(subscription);
        var status = shown["notification"]!.AsObject();
        Assert.Equal("failed", (string?)status["status"]);
        var timesFailed = (int)status["timesFailed"]!;
        Assert.True(timesFailed >= 1, $"timesFailed is {timesFailed}");
        Assert.Equal(timesFailed, (int?)status["timesSent"]);
        var lastFailure = AssertInstant(status["lastFailure"]);
        Assert.InRange(lastFailure, before, DateTimeOffset.UtcNow);
        Assert.InRange(AssertInstant(status["lastNotification"]), before, lastFailure);
        Assert.False(status.ContainsKey("lastSuccess"), "lastSuccess without a success");
        Assert.Equal("active", (string?)shown["status"]);
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_then_recovers_gets_the_notification_by_retries_with_backoff()
    {
        var (id, path, subscription, type) = await BridgeWithSubscriptionAsync(Reply.FailingFirst(2));

        await SetAsync(id, "clearance", 7);

        var attempts = await Receiver.WaitForAsync(path, 3, Due);
        var shown = await WaitForSubscriptionAsync(subscription, s => (int?)s["notification"]?["timesSent"] == 3, "timesSent 3");
        await SetAsync(id, "clearance", 8);
        var all = await Receiver.WaitForAsync(path, 4, Due);

        Assert.All(attempts, a => AssertJsonEqual(JsonNode.Parse($$$"""[{"id":"{{{id}}}","type":"{{{type}}}","clearance":7}]"""), DataOf(a, subscription)));
        var leeway = TimeSpan.FromMilliseconds(30);
        Assert.True(attempts[1].ReceivedAt - attempts[0].ReceivedAt >= SubscriptionBrokerFactory.FirstRetryDelay - leeway, "the first retry came before its delay");
        Assert.True(attempts[2].ReceivedAt - attempts[1].ReceivedAt >= 2 * SubscriptionBrokerFactory.FirstRetryDelay - leeway, "the second retry did not wait twice as long");
        var status = shown["notification"]!.AsObject();
        Assert.Equal(("ok", 3, 2), ((string?)status["status"], (int?)status["timesSent"], (int?)status["timesFailed"]));
        var lastFailure = AssertInstant(status["lastFailure"]);
        var lastNotification = AssertInstant(status["lastNotification"]);
        Assert.True(lastFailure < lastNotification, "lastNotification is not the last attempt, which succeeded after the failures");
        Assert.InRange(AssertInstant(status["lastSuccess"]), lastNotification, DateTimeOffset.UtcNow);
        // The delivered notification is not sent again: the next one is the next change.
        Assert.Equal([7, 7, 7, 8], all.Select(n => (int)SingleEntityOf(n, subscription)["clearance"]!));
    }

    [Fact]
    public async Task Twenty_quick_updates_of_one_entity_are_notified_in_order()
    {
        var (id, path, subscription, _) = await BridgeWithSubscriptionAsync();

        for (var value = 1; value <= 20; value++)
            await SetAsync(id, "clearance", value);

        var notifications = await Receiver.WaitForAsync(path, 20, Due);
        Assert.Equal(Enumerable.Range(1, 20), notifications.Select(n => (int)SingleEntityOf(n, subscription)["clearance"]!));
    }

    [Fact]
    public async Task Fifty_subscriptions_of_one_entity_each_get_every_one_of_ten_updates_once()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        var subscriptions = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 50; i++)
            subscriptions.Add(await SubscribeAsync(SubscriptionOf(type, path, notification: "\"format\":\"keyValues\",\"attributes\":[\"clearance\"]")));

        for (var value = 1; value <= 10; value++)
            await SetAsync(id, "clearance", value);

        await Receiver.WaitForAsync(path, 500, TimeSpan.FromSeconds(30));
        await Receiver.AssertStaysAtAsync(path, 500, Quiet);
        var bySubscription = Receiver.RequestsTo(path).GroupBy(n => (string)n.Json["subscriptionId"]!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(subscriptions.Order(StringComparer.Ordinal), bySubscription.Keys.Order(StringComparer.Ordinal));
        foreach (var (subscription, notifications) in bySubscription)
            Assert.Equal(Enumerable.Range(1, 10), notifications.Select(n => (int)SingleEntityOf(n, subscription)["clearance"]!));
    }

    [Fact]
    public async Task A_slow_endpoint_does_not_delay_the_notifications_to_other_endpoints()
    {
        await using var slow = new NotificationReceiver();
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var slowPath = NotificationReceiver.NewPath("slow");
        slow.Answer(slowPath, Reply.After(TimeSpan.FromSeconds(2)));
        var fastPath = NotificationReceiver.NewPath("fast");
        var slowSubscriptions = new List<string>();
        var fastSubscriptions = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 10; i++)
        {
            // More slow subscriptions than one endpoint's concurrent notifications (Notifications:MaxConcurrencyPerEndpoint, 8).
            slowSubscriptions.Add(await SubscribeAsync($$$"""
                {"type":"Subscription","entities":[{"type":"{{{type}}}"}],"notification":{"endpoint":{"uri":"{{{slow.UrlOf(slowPath)}}}"}} }
                """));
            fastSubscriptions.Add(await SubscribeAsync(SubscriptionOf(type, fastPath)));
        }

        await SetAsync(id, "clearance", 7);

        var fast = await Receiver.WaitForAsync(fastPath, 10, Due);
        var answered = await slow.WaitUntilAsync(slowPath, requests => requests.Any(r => r.AnsweredAt is not null), Due, "an answer");
        foreach (var subscription in slowSubscriptions)
            await StopAsync(subscription);

        Assert.Equal(fastSubscriptions.Order(StringComparer.Ordinal), fast.Select(n => (string)n.Json["subscriptionId"]!).Order(StringComparer.Ordinal));
        var firstSlowAnswer = answered.Where(r => r.AnsweredAt is not null).Min(r => r.AnsweredAt!.Value);
        var lastFast = fast.Max(n => n.ReceivedAt);
        Assert.True(lastFast < firstSlowAnswer,
            $"the last fast notification came at {lastFast:HH:mm:ss.fff}, after the slow endpoint's first answer at {firstSlowAnswer:HH:mm:ss.fff}");
        Assert.All(fast, n => Assert.Equal(7, (int?)SingleEntityOf(n, (string)n.Json["subscriptionId"]!)["clearance"]!["value"]));
    }
}
