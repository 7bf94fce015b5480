using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>A notification that gets no answer within Notifications:Timeout has failed (clause 5.2.14 timesFailed: "an unsuccessful response (or timeout)").</summary>
public sealed class TimeoutTests(ShortTimeoutBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<ShortTimeoutBrokerFactory>(factory, receiver)
{
    [Fact]
    public async Task A_receiver_that_never_answers_is_given_up_after_the_timeout_counted_failed_and_notified_again_once_it_answers()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath("hang");
        Receiver.Answer(path, Reply.Hanging);
        var subscription = await SubscribeAsync(SubscriptionOf(type, path, notification: "\"format\":\"keyValues\",\"attributes\":[\"clearance\"]"));

        await SetAsync(id, "clearance", 7);

        var hung = (await Receiver.WaitUntilAsync(path, requests => requests.Count > 0 && requests[0].AbortedAt is not null, Due, "a request the broker gave up"))[0];
        var failed = await WaitForSubscriptionAsync(subscription, s => s["notification"]?["timesFailed"] is not null, "timesFailed");
        Receiver.Answer(path, Reply.Ok);
        var delivered = await Receiver.WaitUntilAsync(path, requests => requests.Any(r => r.AnsweredAt is not null), Due, "an answered request");
        var recovered = await WaitForSubscriptionAsync(subscription, s => (string?)s["notification"]?["status"] == "ok", "status ok");

        // The timeout runs from the start of the send, connecting included, so the request itself waits somewhat less.
        var waited = hung.AbortedAt!.Value - hung.ReceivedAt;
        Assert.InRange(waited, ShortTimeoutBrokerFactory.Timeout / 2, ShortTimeoutBrokerFactory.Timeout + TimeSpan.FromSeconds(2));
        Assert.Equal("failed", (string?)failed["notification"]!["status"]);
        Assert.True((int)failed["notification"]!["timesFailed"]! >= 1);
        AssertInstant(failed["notification"]!["lastFailure"]);
        Assert.Null(failed["notification"]!["lastSuccess"]);
        var answered = delivered.First(r => r.AnsweredAt is not null);
        AssertJsonEqual(DataOf(hung, subscription), DataOf(answered, subscription));
        Assert.Equal(7, (int?)SingleEntityOf(answered, subscription)["clearance"]);
        Assert.True(AssertInstant(recovered["notification"]!["lastSuccess"]) > AssertInstant(recovered["notification"]!["lastFailure"]));
        Assert.Equal((int)recovered["notification"]!["timesFailed"]! + 1, (int)recovered["notification"]!["timesSent"]!);
    }
}
