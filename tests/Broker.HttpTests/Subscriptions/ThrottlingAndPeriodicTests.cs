using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// Notifications in time (clause 5.8.6, 5.2.12): throttling, the minimal period between two notifications, and
/// timeInterval, the period of a periodic subscription.
/// </summary>
public sealed class ThrottlingAndPeriodicTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    /// <summary>Leeway for comparing the receiver's clock readings with the broker's periods (same clock, different moments of reading).</summary>
    private static readonly TimeSpan Leeway = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The throttling of the delivery lane defers rather than drops: within the window changes wait, and when it closes
    /// one notification shows each entity's latest state (DeliveryLane.TakeBatch coalesces what queued meanwhile), so the
    /// final state is never lost. A change that comes after is again held for a window.
    /// </summary>
    [Fact]
    public async Task Throttling_sends_one_notification_per_window_with_the_last_state_of_the_window()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        var subscription = await SubscribeAsync(SubscriptionOf(type, path, "\"throttling\":1", "\"format\":\"keyValues\""));

        await SetAsync(id, "clearance", 1);
        var first = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        await SetAsync(id, "clearance", 2);
        await SetAsync(id, "clearance", 3);
        var second = (await Receiver.WaitForAsync(path, 2, Due))[1];
        await SetAsync(id, "clearance", 4);
        var notifications = await Receiver.WaitForAsync(path, 3, Due);

        Assert.Equal([1, 3, 4], notifications.Select(n => (int)SingleEntityOf(n, subscription)["clearance"]!));
        Assert.True(second.ReceivedAt - first.ReceivedAt >= TimeSpan.FromSeconds(1) - Leeway,
            $"the second notification came {(second.ReceivedAt - first.ReceivedAt).TotalMilliseconds:0} ms after the first, within the throttling of 1 s");
        Assert.True(notifications[2].ReceivedAt - second.ReceivedAt >= TimeSpan.FromSeconds(1) - Leeway,
            $"the third notification came {(notifications[2].ReceivedAt - second.ReceivedAt).TotalMilliseconds:0} ms after the second");
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }

    [Fact]
    public async Task A_periodic_subscription_sends_the_current_state_every_interval_and_not_before_the_first()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        var created = DateTimeOffset.UtcNow;
        var subscription = await SubscribeAsync(SubscriptionOf(type, path, "\"timeInterval\":1", "\"format\":\"keyValues\",\"attributes\":[\"clearance\"]"));

        var first = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        await SetAsync(id, "clearance", 2.4);
        var notifications = await Receiver.WaitUntilAsync(path,
            requests => requests.Count(r => (double?)r.Json["data"]![0]!["clearance"] == 2.4) >= 2, Due, "two periodic notifications after the update");
        await StopAsync(subscription);

        Assert.True(first.ReceivedAt >= created + TimeSpan.FromSeconds(1) - Leeway,
            $"the first periodic notification came {(first.ReceivedAt - created).TotalMilliseconds:0} ms after the subscription, before its interval of 1 s");
        AssertJsonEqual(JsonNode.Parse($$$"""[{"id":"{{{id}}}","type":"{{{type}}}","clearance":3.2}]"""), DataOf(first, subscription));
        // Each notification shows the state of its moment: 3.2 until the update, 2.4 after it, and nothing else.
        var values = notifications.Select(n => ((double)SingleEntityOf(n, subscription)["clearance"]!).ToString(CultureInfo.InvariantCulture)).ToList();
        Assert.Matches("^(3.2,)+(2.4,){2,}$", string.Join(',', values) + ",");
        for (var i = 1; i < notifications.Count; i++)
        {
            var gap = notifications[i].ReceivedAt - notifications[i - 1].ReceivedAt;
            Assert.True(gap >= TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(250), $"notification {i} came {gap.TotalMilliseconds:0} ms after the one before (interval 1 s)");
        }
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }
}
