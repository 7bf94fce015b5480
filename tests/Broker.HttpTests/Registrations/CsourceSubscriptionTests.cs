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
