using System.Globalization;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// Only an active subscription notifies (clause 5.8.6): a paused one (isActive false) and an expired one (expiresAt
/// passed) send nothing, and what changed meanwhile is not sent when they become active again (clause 5.8.2).
/// </summary>
public sealed class PausedAndExpiredTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    private static string In(TimeSpan fromNow) => (DateTimeOffset.UtcNow + fromNow).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_paused_subscription_sends_nothing_and_once_resumed_notifies_only_later_changes()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var createdPaused = NotificationReceiver.NewPath();
        var pausedLater = NotificationReceiver.NewPath();
        var a = await SubscribeAsync(SubscriptionOf(type, createdPaused, "\"isActive\":false", "\"format\":\"keyValues\""));
        var b = await SubscribeAsync(SubscriptionOf(type, pausedLater, notification: "\"format\":\"keyValues\""));

        await SetAsync(id, "clearance", 1);
        await Receiver.WaitForAsync(pausedLater, 1, Due);
        await PatchSubscriptionAsync(b, """{"isActive":false}""");
        await SetAsync(id, "clearance", 2);
        await Task.WhenAll(Receiver.AssertStaysAtAsync(createdPaused, 0, Quiet), Receiver.AssertStaysAtAsync(pausedLater, 1, Quiet));
        await PatchSubscriptionAsync(a, """{"isActive":true}""");
        await PatchSubscriptionAsync(b, """{"isActive":true}""");
        await SetAsync(id, "clearance", 3);

        var fromA = await Receiver.WaitForAsync(createdPaused, 1, Due);
        var fromB = await Receiver.WaitForAsync(pausedLater, 2, Due);
        Assert.Equal([3], fromA.Select(n => (int)SingleEntityOf(n, a)["clearance"]!));
        Assert.Equal([1, 3], fromB.Select(n => (int)SingleEntityOf(n, b)["clearance"]!));
        Assert.Equal("active", (string?)(await GetSubscriptionAsync(a))["status"]);
    }

    [Fact]
    public async Task An_expired_subscription_sends_nothing_and_once_revived_notifies_only_later_changes()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        var subscription = await SubscribeAsync(SubscriptionOf(type, path, $"\"expiresAt\":\"{In(TimeSpan.FromSeconds(1.5))}\"", "\"format\":\"keyValues\""));

        await SetAsync(id, "clearance", 1);
        await Receiver.WaitForAsync(path, 1, Due);
        await WaitForSubscriptionAsync(subscription, s => (string?)s["status"] == "expired", "status expired", TimeSpan.FromSeconds(10));
        await SetAsync(id, "clearance", 2);
        await Receiver.AssertStaysAtAsync(path, 1, Quiet);
        await PatchSubscriptionAsync(subscription, $$$"""{"expiresAt":"{{{In(TimeSpan.FromHours(1))}}}"}""");
        await SetAsync(id, "clearance", 3);

        var notifications = await Receiver.WaitForAsync(path, 2, Due);
        Assert.Equal([1, 3], notifications.Select(n => (int)SingleEntityOf(n, subscription)["clearance"]!));
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }
}
