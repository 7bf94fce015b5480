using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// A broker serves requests before its dispatcher has taken the lead (the lease, the subscriptions and the feed position
/// are read in the background). A subscription created and a change acknowledged in that moment are owed a notification
/// all the same, as they are once the dispatcher runs.
/// </summary>
public sealed class NotificationStartupTests(LateLeaderBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<LateLeaderBrokerFactory>(factory, receiver)
{
    [Fact]
    public async Task A_change_acknowledged_before_the_dispatcher_took_the_lead_is_notified_once_it_does()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        var subscription = await SubscribeAsync(SubscriptionOf(type, path, notification: "\"format\":\"keyValues\",\"attributes\":[\"clearance\"]"));
        await SetAsync(id, "clearance", 7);

        Factory.Lead();
        // Later changes show when the dispatcher runs; the first notification must still be the one of the change before.
        var deadline = DateTimeOffset.UtcNow + Due;
        for (var value = 8; !await Receiver.TryWaitForAsync(path, 1, TimeSpan.FromMilliseconds(200)) && DateTimeOffset.UtcNow < deadline; value++)
            await SetAsync(id, "clearance", value);

        var notifications = await Receiver.WaitForAsync(path, 1, TimeSpan.Zero);
        Assert.Equal(7, (int)SingleEntityOf(notifications[0], subscription)["clearance"]!);
        AssertJsonHeaders(notifications[0]);
    }
}
