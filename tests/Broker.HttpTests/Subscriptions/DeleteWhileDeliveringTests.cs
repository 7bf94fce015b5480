using System.Net;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// Deleting a subscription (clause 5.8.5) while the broker sends its notifications and stores their outcomes: the
/// delete must succeed (204) whatever the delivery is doing, and the subscription is gone.
/// </summary>
public sealed class DeleteWhileDeliveringTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    private const int Rounds = 40;

    [Fact]
    public async Task A_subscription_deleted_while_its_notifications_are_delivered_is_deleted_with_204()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var failures = new List<string>();
        for (var round = 1; round <= Rounds; round++)
        {
            var path = NotificationReceiver.NewPath();
            var subscription = await SubscribeAsync(SubscriptionOf(type, path, notification: "\"format\":\"keyValues\",\"attributes\":[\"clearance\"]"));
            for (var value = 1; value <= 6; value++)
                await SetAsync(id, "clearance", round * 10 + value);
            await Receiver.WaitForAsync(path, 1, Due);

            // The first notification was answered a moment ago; the others are being sent, and their outcomes stored.
            var deleted = await Client.DeleteAsync(new Uri(SubscriptionPath(subscription), UriKind.Relative));

            if (deleted.StatusCode != HttpStatusCode.NoContent)
                failures.Add($"round {round}: {(int)deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
            else
                await AssertProblem(await Client.GetAsync(new Uri(SubscriptionPath(subscription), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {Rounds} deletes failed:\n{string.Join('\n', failures)}");
    }
}
