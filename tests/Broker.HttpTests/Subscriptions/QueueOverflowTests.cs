using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// A subscription with more notifications pending than Notifications:QueueCapacity keeps the rest in the outbox and reads
/// them back as its queue drains (DeliveryLane.RefillAsync): every change is still notified, in order.
/// </summary>
public sealed class QueueOverflowTests(SmallQueueBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SmallQueueBrokerFactory>(factory, receiver)
{
    [Fact]
    public async Task Notifications_beyond_the_queue_capacity_are_delivered_from_the_outbox_in_order()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        Receiver.Answer(path, Reply.WithStatus(500));
        var subscription = await SubscribeAsync(SubscriptionOf(type, path, notification: "\"format\":\"keyValues\",\"attributes\":[\"clearance\"]"));
        const int Updates = 5 * SmallQueueBrokerFactory.QueueCapacity;

        for (var value = 1; value <= Updates; value++)
            await SetAsync(id, "clearance", value);
        // The first notification fails until every update was matched and queued behind it (the retries come every 0.4 s).
        var failedSoFar = Receiver.RequestsTo(path).Count;
        await Receiver.WaitForAsync(path, failedSoFar + 3, Due);
        Receiver.Answer(path, Reply.Ok);

        var notifications = await Receiver.WaitUntilAsync(path, requests => requests.Count(r => r.Status == 200) >= Updates, Due, $"{Updates} delivered notifications");
        Assert.All(notifications.Where(n => n.Status != 200), n => Assert.Equal(1, (int)SingleEntityOf(n, subscription)["clearance"]!));
        Assert.Equal(Enumerable.Range(1, Updates), notifications.Where(n => n.Status == 200).Select(n => (int)SingleEntityOf(n, subscription)["clearance"]!));
    }
}
