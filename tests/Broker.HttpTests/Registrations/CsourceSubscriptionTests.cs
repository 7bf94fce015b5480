using System.Net;
using System.Text.Json.Nodes;
using Broker.HttpTests.Subscriptions;
using Xunit;

namespace Broker.HttpTests.Registrations;

/// <summary>
/// Context source registration subscriptions (clause 5.11): their resources, and the CsourceNotifications (clause 5.3.2)
/// of registrations that newly match, are updated, or no longer match.
/// </summary>
public sealed class CsourceSubscriptionTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    private const string CsourceSubscriptions = "/ngsi-ld/v1/csourceSubscriptions";
    private const string Registrations = "/ngsi-ld/v1/csourceRegistrations";

    private static string CsourcePath(string id) => $"{CsourceSubscriptions}/{Uri.EscapeDataString(id)}";

    private static string RegistrationPath(string id) => $"{Registrations}/{Uri.EscapeDataString(id)}";

    private static string Registration(string id, string type, string endpoint = "http://cs.example.org") => $$"""
        {"id":"{{id}}","type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{type}}"}],"propertyNames":["spots"]}],"endpoint":"{{endpoint}}"
        }
        """;

    private string CsourceSubscription(string id, string type, string path) => $$"""
        {"id":"{{id}}","type":"Subscription","entities":[{"type":"{{type}}"}],
         "notification":{"endpoint":{"uri":"{{Receiver.UrlOf(path)}}","accept":"application/json"}
         }
        }
        """;

    private async Task RegisterAsync(string body) => await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Registrations, body));

    private async Task<string> SubscribeToRegistrationsAsync(string body)
    {
        var response = await SendAsync(HttpMethod.Post, CsourceSubscriptions, body);
        await AssertStatus(HttpStatusCode.Created, response);
        return Uri.UnescapeDataString(response.Headers.Location!.OriginalString[(CsourceSubscriptions.Length + 1)..]);
    }

    private static JsonObject AssertCsourceNotification(ReceivedRequest request, string subscriptionId, string triggerReason, string registrationId)
    {
        var notification = request.Json;
        Assert.Equal("ContextSourceNotification", (string?)notification["type"]);
        Assert.StartsWith("urn:ngsi-ld:Notification:", (string?)notification["id"], StringComparison.Ordinal);
        Assert.Equal(subscriptionId, (string?)notification["subscriptionId"]);
        Assert.NotNull((string?)notification["notifiedAt"]);
        Assert.Equal(triggerReason, (string?)notification["triggerReason"]);
        var registration = Assert.IsType<JsonObject>(Assert.Single(notification["data"]!.AsArray()));
        Assert.Equal(registrationId, (string?)registration["id"]);
        Assert.Equal("ContextSourceRegistration", (string?)registration["type"]);
        return registration;
    }

    [Fact]
    public async Task A_subscription_is_notified_of_matching_registrations_when_created_and_as_they_change()
    {
        var type = "Parking" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource");
        var first = NewId("ContextSourceRegistration");
        await RegisterAsync(Registration(first, type));
        await RegisterAsync(Registration(NewId("ContextSourceRegistration"), "Other" + type));

        var subscription = await SubscribeToRegistrationsAsync(CsourceSubscription(NewId("Subscription"), type, path));

        var initial = (await Receiver.WaitForAsync(path, 1, Due))[0];
        Assert.Equal(type, (string?)AssertCsourceNotification(initial, subscription, "newlyMatching", first)["information"]![0]!["entities"]![0]!["type"]);
        Assert.Equal(Tenant, initial.Header("NGSILD-Tenant"));

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, RegistrationPath(first), """{"endpoint":"http://moved.example.org"}"""));
        var updated = (await Receiver.WaitForAsync(path, 2, Due))[1];
        Assert.Equal("http://moved.example.org", (string?)AssertCsourceNotification(updated, subscription, "updated", first)["endpoint"]);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, RegistrationPath(first), $$"""{"information":[{"entities":[{"type":"Other{{type}}"}]}]}"""));
        AssertCsourceNotification((await Receiver.WaitForAsync(path, 3, Due))[2], subscription, "noLongerMatching", first);

        var second = NewId("ContextSourceRegistration");
        await RegisterAsync(Registration(second, type));
        AssertCsourceNotification((await Receiver.WaitForAsync(path, 4, Due))[3], subscription, "newlyMatching", second);

        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(RegistrationPath(second), UriKind.Relative)));
        AssertCsourceNotification((await Receiver.WaitForAsync(path, 5, Due))[4], subscription, "noLongerMatching", second);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, RegistrationPath(first), """{"endpoint":"http://again.example.org"}"""));
        await Receiver.AssertStaysAtAsync(path, 5, Quiet);
        var status = await ReadJsonAsync(await Client.GetAsync(new Uri(CsourcePath(subscription), UriKind.Relative)));
        Assert.Equal(5, (int)status["notification"]!["timesSent"]!);
    }

    [Fact]
    public async Task An_updated_subscription_is_notified_of_every_registration_it_matches_now()
    {
        var type = "Bus" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-update");
        var bus = NewId("ContextSourceRegistration");
        await RegisterAsync(Registration(bus, type));
        var subscription = await SubscribeToRegistrationsAsync(CsourceSubscription(NewId("Subscription"), "Tram" + type, path));
        await Receiver.AssertStaysAtAsync(path, 0, Quiet);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, CsourcePath(subscription), $$"""{"entities":[{"type":"{{type}}"}]}"""));

        AssertCsourceNotification((await Receiver.WaitForAsync(path, 1, Due))[0], subscription, "newlyMatching", bus);
    }

    [Fact]
    public async Task A_deleted_subscription_is_not_notified_any_more_not_even_by_a_retry()
    {
        var type = "Failing" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-retry");
        Receiver.Answer(path, Reply.FailingFirst(2));
        var subscription = await SubscribeToRegistrationsAsync(CsourceSubscription(NewId("Subscription"), type, path));

        await RegisterAsync(Registration(NewId("ContextSourceRegistration"), type));
        await Receiver.WaitForAsync(path, 1, Due);
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(CsourcePath(subscription), UriKind.Relative)));

        // An attempt that began before the delete may still arrive; none may begin after it.
        await Task.Delay(TimeSpan.FromMilliseconds(50));
        await Receiver.AssertStaysAtAsync(path, Receiver.RequestsTo(path).Count, TimeSpan.FromSeconds(2));
        Assert.True(Receiver.RequestsTo(path).Count < 3, "every attempt was made before the subscription was deleted: the test proves nothing");
    }

    [Fact]
    public async Task A_subscription_is_created_retrieved_listed_updated_and_deleted()
    {
        var id = NewId("Subscription");
        var path = NotificationReceiver.NewPath("csource-crud");
        await SubscribeToRegistrationsAsync(CsourceSubscription(id, "Nothing" + Guid.NewGuid().ToString("N")[..6], path));

        var retrieved = await ReadJsonAsync(await Client.GetAsync(new Uri(CsourcePath(id), UriKind.Relative)));
        Assert.Equal(id, (string?)retrieved["id"]);
        Assert.Equal("Subscription", (string?)retrieved["type"]);
        Assert.Equal("active", (string?)retrieved["status"]);
        Assert.Null(retrieved["notificationTrigger"]);
        await AssertProblem(await SendAsync(HttpMethod.Post, CsourceSubscriptions, CsourceSubscription(id, "X", path)), HttpStatusCode.Conflict, "AlreadyExists");

        var listed = await Client.GetAsync(new Uri(CsourceSubscriptions + "?count=true&limit=100", UriKind.Relative));
        await AssertStatus(HttpStatusCode.OK, listed);
        Assert.Contains(id, Assert.IsType<JsonArray>(await ReadJsonAsync(listed)).Select(s => (string?)s!["id"]));
        Assert.True(int.Parse(listed.Headers.GetValues("NGSILD-Results-Count").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, CsourcePath(id), """{"description":"registrations of nothing"}"""));
        Assert.Equal("registrations of nothing", (string?)(await ReadJsonAsync(await Client.GetAsync(new Uri(CsourcePath(id), UriKind.Relative))))["description"]);
        await AssertProblem(await SendAsync(HttpMethod.Patch, CsourcePath(id), """{"notification":null}"""), HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblem(await SendAsync(HttpMethod.Patch, CsourcePath(id), """{"type":null}"""), HttpStatusCode.BadRequest, "BadRequestData");

        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(CsourcePath(id), UriKind.Relative)));
        await AssertProblem(await Client.GetAsync(new Uri(CsourcePath(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await Client.DeleteAsync(new Uri(CsourcePath(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await Client.DeleteAsync(new Uri(CsourceSubscriptions + "/not-a-uri", UriKind.Relative)), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task A_delivered_notification_is_counted_in_the_subscriptions_status_and_a_failed_one_retried()
    {
        var type = "Counted" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-status");
        Receiver.Answer(path, Reply.FailingFirst(1));
        var subscription = await SubscribeToRegistrationsAsync(CsourceSubscription(NewId("Subscription"), type, path));

        var registration = NewId("ContextSourceRegistration");
        await RegisterAsync(Registration(registration, type));

        var attempts = await Receiver.WaitForAsync(path, 2, Due);
        AssertCsourceNotification(attempts[1], subscription, "newlyMatching", registration);
        var status = await WaitForCsourceSubscriptionAsync(subscription, s => (int?)s["notification"]!["timesSent"] == 2, "two attempts");
        var notification = status["notification"]!;
        Assert.Equal("ok", (string?)notification["status"]);
        Assert.True(AssertInstant(notification["lastSuccess"]) > AssertInstant(notification["lastFailure"]));
        Assert.Equal(AssertInstant(notification["lastSuccess"]), AssertInstant(notification["lastNotification"]));
    }

    [Fact]
    public async Task A_periodic_subscription_is_notified_of_every_matching_registration_each_interval_and_not_on_changes()
    {
        var type = "Periodic" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-periodic");
        var first = NewId("ContextSourceRegistration");
        var second = NewId("ContextSourceRegistration");
        await RegisterAsync(Registration(first, type));
        await RegisterAsync(Registration(second, type));
        var subscription = await SubscribeToRegistrationsAsync($$"""
            {"id":"{{NewId("Subscription")}}","type":"Subscription","entities":[{"type":"{{type}}"}],"timeInterval":1,
             "notification":{"endpoint":{"uri":"{{Receiver.UrlOf(path)}}","accept":"application/json"} } }
            """);

        var notifications = await Receiver.WaitForAsync(path, 3, Due);
        Assert.Equal("newlyMatching", (string?)notifications[0].Json["triggerReason"]);
        foreach (var notification in notifications)
        {
            Assert.Equal(subscription, (string?)notification.Json["subscriptionId"]);
            Assert.Equal(new[] { first, second }.Order(), notification.Json["data"]!.AsArray().Select(r => (string?)r!["id"]).Order());
        }
        var gap = notifications[2].ReceivedAt - notifications[1].ReceivedAt;
        Assert.True(gap > TimeSpan.FromMilliseconds(700), $"periodic notifications {gap} apart");

        // A change is not notified by itself: the next periodic notification shows it.
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, RegistrationPath(first), """{"endpoint":"http://periodic.example.org"}"""));
        var shown = await Receiver.WaitUntilAsync(path, requests => requests.Any(r => r.Json["data"]!.AsArray().Any(d => (string?)d!["endpoint"] == "http://periodic.example.org")),
            Due, "a periodic notification with the change");
        Assert.All(shown, r => Assert.Equal(2, r.Json["data"]!.AsArray().Count));
    }

    [Fact]
    public async Task A_throttled_subscription_is_notified_at_most_once_per_throttling_window()
    {
        var type = "Throttled" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-throttled");
        await SubscribeToRegistrationsAsync($$"""
            {"id":"{{NewId("Subscription")}}","type":"Subscription","entities":[{"type":"{{type}}"}],"throttling":2,
             "notification":{"endpoint":{"uri":"{{Receiver.UrlOf(path)}}","accept":"application/json"} } }
            """);

        for (var i = 0; i < 3; i++)
            await RegisterAsync(Registration(NewId("ContextSourceRegistration"), type));

        var notifications = await Receiver.WaitForAsync(path, 3, Due);
        for (var i = 1; i < notifications.Count; i++)
        {
            var gap = notifications[i].ReceivedAt - notifications[i - 1].ReceivedAt;
            Assert.True(gap > TimeSpan.FromMilliseconds(1800), $"notifications {gap} apart within a throttling of 2 s");
        }
    }

    [Fact]
    public async Task A_context_source_filter_selects_registrations_by_their_properties()
    {
        var type = "Filtered" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-csf");
        var subscription = await SubscribeToRegistrationsAsync($$"""
            {"id":"{{NewId("Subscription")}}","type":"Subscription","entities":[{"type":"{{type}}"}],"csf":"operator==%22city%22",
             "notification":{"endpoint":{"uri":"{{Receiver.UrlOf(path)}}","accept":"application/json"} } }
            """);

        var other = NewId("ContextSourceRegistration");
        await RegisterAsync($$"""
            {"id":"{{other}}","type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{type}}"}]}],"endpoint":"http://cs.example.org","operator":"private"}
            """);
        var city = NewId("ContextSourceRegistration");
        await RegisterAsync($$"""
            {"id":"{{city}}","type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{type}}"}]}],"endpoint":"http://cs.example.org","operator":"city"}
            """);

        AssertCsourceNotification((await Receiver.WaitForAsync(path, 1, Due))[0], subscription, "newlyMatching", city);
        await Receiver.AssertStaysAtAsync(path, 1, Quiet);
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, RegistrationPath(other), """{"operator":"city"}"""));
        AssertCsourceNotification((await Receiver.WaitForAsync(path, 2, Due))[1], subscription, "newlyMatching", other);
    }

    [Fact]
    public async Task A_notification_shows_only_the_registration_information_the_subscription_matched()
    {
        var type = "Relevant" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-relevant");
        var subscription = await SubscribeToRegistrationsAsync(CsourceSubscription(NewId("Subscription"), type, path));
        var registration = NewId("ContextSourceRegistration");
        await RegisterAsync($$"""
            {"id":"{{registration}}","type":"ContextSourceRegistration","endpoint":"http://cs.example.org",
             "information":[{"entities":[{"type":"{{type}}"}]},{"entities":[{"type":"Other{{type}}"}]}]}
            """);

        var shown = AssertCsourceNotification((await Receiver.WaitForAsync(path, 1, Due))[0], subscription, "newlyMatching", registration);
        Assert.Equal(type, (string?)Assert.Single(shown["information"]!.AsArray())!["entities"]![0]!["type"]);
    }

    [Fact]
    public async Task A_registration_that_expires_is_no_longer_matching()
    {
        var type = "Expiring" + Guid.NewGuid().ToString("N")[..8];
        var path = NotificationReceiver.NewPath("csource-expiry");
        var subscription = await SubscribeToRegistrationsAsync(CsourceSubscription(NewId("Subscription"), type, path));
        var registration = NewId("ContextSourceRegistration");
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        await RegisterAsync($$"""
            {"id":"{{registration}}","type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{type}}"}]}],"endpoint":"http://cs.example.org","expiresAt":"{{expiresAt}}"}
            """);

        AssertCsourceNotification((await Receiver.WaitForAsync(path, 1, Due))[0], subscription, "newlyMatching", registration);
        AssertCsourceNotification((await Receiver.WaitForAsync(path, 2, Due))[1], subscription, "noLongerMatching", registration);
    }

    private async Task<JsonObject> WaitForCsourceSubscriptionAsync(string id, Func<JsonObject, bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Due;
        while (true)
        {
            var subscription = Assert.IsType<JsonObject>(await ReadJsonAsync(await Client.GetAsync(new Uri(CsourcePath(id), UriKind.Relative))));
            if (condition(subscription))
                return subscription;
            if (DateTimeOffset.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"The csourceSubscription did not show {what} within {Due}: {subscription.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    [Theory]
    [InlineData("""{"type":"Subscription","entities":[{"type":"Parking"}]}""")]
    [InlineData("""{"type":"ContextSourceRegistration","entities":[{"type":"Parking"}],"notification":{"endpoint":{"uri":"http://r.example.org/n"}}}""")]
    [InlineData("""{"type":"Subscription","entities":[{"type":"Parking"}],"watchedAttributes":[],"notification":{"endpoint":{"uri":"http://r.example.org/n"}}}""")]
    [InlineData("""{"type":"Subscription","entities":[{"type":"Parking"}],"notification":{"endpoint":{"uri":"http://169.254.169.254/latest"}}}""")]
    public async Task An_invalid_subscription_is_400_BadRequestData(string body)
    {
        await AssertProblem(await SendAsync(HttpMethod.Post, CsourceSubscriptions, body), HttpStatusCode.BadRequest, "BadRequestData");
    }
}
