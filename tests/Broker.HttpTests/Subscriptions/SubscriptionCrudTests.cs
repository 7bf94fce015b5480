using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// Create, retrieve, query, update and delete subscription (clause 5.8.1–5.8.5; resources of clause 6.10 and 6.11), and
/// the checks of a subscription's content (clause 5.2.12, 5.2.14, 5.2.15), each refusal a 400 BadRequestData.
/// </summary>
public sealed class SubscriptionCrudTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    /// <summary>An endpoint no test notifies: the subscriptions of this class match no entity.</summary>
    private const string Endpoint = "http://127.0.0.1:9/notify";

    private static string NewSubscriptionId() => NewId("Subscription");

    private static string Minimal(string id, string endpoint = Endpoint) =>
        $$$"""{"id":"{{{id}}}","type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{{endpoint}}}"}} }""";

    private HttpClient ClientOf(string? tenant)
    {
        var client = Factory.CreateClient();
        if (tenant is not null)
            client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        return client;
    }

    private static string NewTenant() => "tenant-" + Guid.NewGuid().ToString("N")[..12];

    private static string In(TimeSpan fromNow) => (DateTimeOffset.UtcNow + fromNow).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Create_answers_201_with_a_Location_that_holds_the_raw_id()
    {
        var id = NewSubscriptionId();

        var response = await SendAsync(HttpMethod.Post, Subscriptions, Minimal(id));

        await AssertStatus(HttpStatusCode.Created, response);
        Assert.Equal($"{Subscriptions}/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(id, (string?)(await GetSubscriptionAsync(id))["id"]);
    }

    [Fact]
    public async Task Create_without_an_id_generates_a_distinct_URI_for_each_subscription()
    {
        var body = $$$"""{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{{Endpoint}}}"}} }""";

        var first = await SubscribeAsync(body);
        var second = await SubscribeAsync(body);

        Assert.NotEqual(first, second);
        foreach (var id in new[] { first, second })
        {
            Assert.True(Uri.TryCreate(id, UriKind.Absolute, out _), $"{id} is not an absolute URI");
            Assert.Equal(id, (string?)(await GetSubscriptionAsync(id))["id"]);
        }
    }

    [Fact]
    public async Task Retrieve_compacts_terms_with_the_Link_context_of_the_request_and_expands_them_without_one()
    {
        var id = NewSubscriptionId();
        var body = ExpectedPayload("parking-subscription-request.json", ("id", id), ("endpoint", Endpoint)).ToJsonString();
        await SubscribeAsync(Client, body, StubContextLoader.ParkingContextUrl);

        using var compacted = LinkedRequest(HttpMethod.Get, SubscriptionPath(id), StubContextLoader.ParkingContextUrl);
        var withContext = await Client.SendAsync(compacted);
        await AssertStatus(HttpStatusCode.OK, withContext);
        var withoutContext = await GetSubscriptionAsync(id);

        Assert.Equal("application/json", withContext.Content.Headers.ContentType?.MediaType);
        AssertJsonEqual(ExpectedPayload("parking-subscription-compacted.json", ("id", id), ("endpoint", Endpoint)), await ReadJsonAsync(withContext));
        AssertJsonEqual(ExpectedPayload("parking-subscription-expanded.json", ("id", id), ("endpoint", Endpoint)), withoutContext);
    }

    [Fact]
    public async Task Retrieve_shows_isActive_only_as_given_and_the_status_it_implies()
    {
        var paused = NewSubscriptionId();
        var active = NewSubscriptionId();
        var unsaid = NewSubscriptionId();
        await SubscribeAsync(Minimal(paused).Replace("\"entities\"", "\"isActive\":false,\"entities\"", StringComparison.Ordinal));
        await SubscribeAsync(Minimal(active).Replace("\"entities\"", "\"isActive\":true,\"entities\"", StringComparison.Ordinal));
        await SubscribeAsync(Minimal(unsaid));

        var p = await GetSubscriptionAsync(paused);
        var a = await GetSubscriptionAsync(active);
        var u = await GetSubscriptionAsync(unsaid);

        Assert.Equal(("paused", false), ((string?)p["status"], (bool?)p["isActive"]));
        Assert.Equal(("active", true), ((string?)a["status"], (bool?)a["isActive"]));
        Assert.Equal("active", (string?)u["status"]);
        Assert.False(u.ContainsKey("isActive"));
        // Before any notification there is no delivery status (timesSent has a minimum of 1) and no system attribute.
        AssertJsonEqual(JsonNode.Parse($$$"""{"endpoint":{"uri":"{{{Endpoint}}}"}}"""), u["notification"]);
        AssertJsonEqual(JsonNode.Parse("""["attributeCreated","attributeUpdated"]"""), u["notificationTrigger"]);
        Assert.Equal(["entities", "id", "notification", "notificationTrigger", "status", "type"], u.Select(m => m.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Retrieve_with_sysAttrs_adds_createdAt_and_modifiedAt_and_an_update_moves_only_modifiedAt()
    {
        var id = NewSubscriptionId();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await SubscribeAsync(Minimal(id));
        var created = await GetJsonAsync(SubscriptionPath(id) + "?options=sysAttrs");

        await PatchSubscriptionAsync(id, """{"description":"changed"}""");
        var modified = await GetJsonAsync(SubscriptionPath(id) + "?options=sysAttrs");

        var createdAt = AssertInstant(created["createdAt"]);
        Assert.InRange(createdAt, before, DateTimeOffset.UtcNow);
        Assert.Equal(created["createdAt"]!.ToJsonString(), modified["createdAt"]!.ToJsonString());
        Assert.True(AssertInstant(modified["modifiedAt"]) > AssertInstant(created["modifiedAt"]), "modifiedAt did not move on update");
    }

    [Fact]
    public async Task Query_pages_with_limit_and_offset_links_prev_and_next_and_counts_with_count()
    {
        var client = ClientOf(NewTenant());
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add(await SubscribeAsync(client, Minimal(NewSubscriptionId())));

        var pages = new List<(JsonArray Items, string? Count, string[] Links)>();
        foreach (var offset in new[] { 0, 2, 4 })
        {
            var response = await client.GetAsync(new Uri($"{Subscriptions}?limit=2&offset={offset}&count=true", UriKind.Relative));
            await AssertStatus(HttpStatusCode.OK, response);
            var links = response.Headers.TryGetValues("Link", out var values) ? values.Where(v => v.Contains("rel=\"prev\"", StringComparison.Ordinal) || v.Contains("rel=\"next\"", StringComparison.Ordinal)).ToArray() : [];
            var count = response.Headers.TryGetValues("NGSILD-Results-Count", out var counts) ? counts.Single() : null;
            pages.Add((Assert.IsType<JsonArray>(await ReadJsonAsync(response)), count, links));
        }
        var beyond = Assert.IsType<JsonArray>(await ReadJsonAsync(await client.GetAsync(new Uri($"{Subscriptions}?limit=2&offset=5", UriKind.Relative))));

        Assert.Equal([2, 2, 1], pages.Select(p => p.Items.Count));
        Assert.All(pages, p => Assert.Equal("5", p.Count));
        Assert.Equal(ids.Order(StringComparer.Ordinal), pages.SelectMany(p => p.Items).Select(s => (string)s!["id"]!).Order(StringComparer.Ordinal));
        Assert.Equal(["</ngsi-ld/v1/subscriptions?limit=2&offset=2>;rel=\"next\";type=\"application/json\""], pages[0].Links);
        Assert.Equal(
            ["</ngsi-ld/v1/subscriptions?limit=2&offset=0>;rel=\"prev\";type=\"application/json\"", "</ngsi-ld/v1/subscriptions?limit=2&offset=4>;rel=\"next\";type=\"application/json\""],
            pages[1].Links);
        Assert.Equal(["</ngsi-ld/v1/subscriptions?limit=2&offset=2>;rel=\"prev\";type=\"application/json\""], pages[2].Links);
        Assert.Empty(beyond);
        Assert.All(pages.SelectMany(p => p.Items), s => Assert.Equal("active", (string?)s!["status"]));
    }

    [Fact]
    public async Task Update_replaces_top_level_members_and_the_notification_as_a_whole_and_null_removes_a_member()
    {
        var id = NewSubscriptionId();
        await SubscribeAsync($$$"""
            {"id":"{{{id}}}","type":"Subscription","subscriptionName":"Bridges","description":"Drawbridges of the old town",
             "entities":[{"type":"Bridge"}],"watchedAttributes":["state"],
             "notification":{"format":"keyValues","attributes":["state"],"endpoint":{"uri":"{{{Endpoint}}}","accept":"application/ld+json"}} }
            """);

        await PatchSubscriptionAsync(id, """
            {"description":"Bridges over the Trave","watchedAttributes":["state","clearance"],"notification":{"endpoint":{"uri":"http://127.0.0.1:9/other"}}}
            """);
        var replaced = await GetSubscriptionAsync(id);
        await PatchSubscriptionAsync(id, """{"subscriptionName":null,"watchedAttributes":"urn:ngsi-ld:null"}""");
        var removed = await GetSubscriptionAsync(id);

        AssertJsonEqual(ExpectedPayload("bridge-subscription-updated.json", ("id", id)), replaced);
        replaced.Remove("subscriptionName");
        replaced.Remove("watchedAttributes");
        AssertJsonEqual(replaced, removed);
    }

    [Fact]
    public async Task Update_that_removes_the_notification_or_its_endpoint_or_sets_a_past_expiresAt_is_400_and_changes_nothing()
    {
        var id = NewSubscriptionId();
        await SubscribeAsync(Minimal(id));
        var before = await GetJsonAsync(SubscriptionPath(id) + "?options=sysAttrs");

        var fragments = new[]
        {
            """{"notification":null}""",
            """{"notification":{"format":"keyValues"}}""",
            """{"notification":{"endpoint":null}}""",
            $$"""{"expiresAt":"{{In(TimeSpan.FromMinutes(-1))}}"}""",
            """{"entities":null}""",
            """{"type":"Subscription","throttling":-5}""",
        };
        foreach (var fragment in fragments)
            await AssertProblem(await SendAsync(HttpMethod.Patch, SubscriptionPath(id), fragment), HttpStatusCode.BadRequest, "BadRequestData");

        AssertJsonEqual(before, await GetJsonAsync(SubscriptionPath(id) + "?options=sysAttrs"));
    }

    [Fact]
    public async Task Update_of_isActive_pauses_and_resumes_the_subscription()
    {
        var id = NewSubscriptionId();
        await SubscribeAsync(Minimal(id));

        await PatchSubscriptionAsync(id, """{"isActive":false}""");
        var paused = await GetSubscriptionAsync(id);
        await PatchSubscriptionAsync(id, """{"isActive":true}""");
        var resumed = await GetSubscriptionAsync(id);

        Assert.Equal(("paused", false), ((string?)paused["status"], (bool?)paused["isActive"]));
        Assert.Equal(("active", true), ((string?)resumed["status"], (bool?)resumed["isActive"]));
    }

    [Fact]
    public async Task A_subscription_whose_expiresAt_passes_is_expired_and_a_future_expiresAt_makes_it_active_again()
    {
        var id = NewSubscriptionId();
        var expiresAt = In(TimeSpan.FromSeconds(1.5));
        await SubscribeAsync(Minimal(id).Replace("\"entities\"", $"\"expiresAt\":\"{expiresAt}\",\"entities\"", StringComparison.Ordinal));
        var fresh = await GetSubscriptionAsync(id);

        var expired = await WaitForSubscriptionAsync(id, s => (string?)s["status"] != "active", "that it expired", TimeSpan.FromSeconds(10));
        var later = In(TimeSpan.FromHours(1));
        await PatchSubscriptionAsync(id, $$"""{"expiresAt":"{{later}}"}""");
        var revived = await GetSubscriptionAsync(id);

        Assert.Equal(("active", expiresAt), ((string?)fresh["status"], (string?)fresh["expiresAt"]));
        Assert.Equal("expired", (string?)expired["status"]);
        Assert.True(DateTimeOffset.UtcNow >= DateTimeOffset.Parse(expiresAt, CultureInfo.InvariantCulture), "expired before expiresAt");
        Assert.Equal(("active", later), ((string?)revived["status"], (string?)revived["expiresAt"]));
    }

    [Fact]
    public async Task Delete_answers_204_then_the_subscription_is_404_everywhere()
    {
        var client = ClientOf(NewTenant());
        var id = await SubscribeAsync(client, Minimal(NewSubscriptionId()));
        var kept = await SubscribeAsync(client, Minimal(NewSubscriptionId()));

        var deleted = await client.DeleteAsync(new Uri(SubscriptionPath(id), UriKind.Relative));

        await AssertStatus(HttpStatusCode.NoContent, deleted);
        await AssertProblem(await client.GetAsync(new Uri(SubscriptionPath(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await client.DeleteAsync(new Uri(SubscriptionPath(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await client.SendAsync(Request(HttpMethod.Patch, SubscriptionPath(id), """{"description":"x"}""")), HttpStatusCode.NotFound, "ResourceNotFound");
        var list = Assert.IsType<JsonArray>(JsonNode.Parse(await client.GetStringAsync(new Uri(Subscriptions, UriKind.Relative))));
        Assert.Equal([kept], list.Select(s => (string?)s!["id"]));
    }

    [Fact]
    public async Task Subscriptions_of_one_tenant_are_invisible_to_another_and_to_the_default_tenant()
    {
        var a = ClientOf(NewTenant());
        var b = ClientOf(NewTenant());
        var defaultTenant = ClientOf(null);
        var id = NewSubscriptionId();
        await SubscribeAsync(a, Minimal(id));
        var inB = await SubscribeAsync(b, Minimal(NewSubscriptionId()));
        var inDefault = await SubscribeAsync(defaultTenant, Minimal(NewSubscriptionId()));

        await AssertProblem(await b.GetAsync(new Uri(SubscriptionPath(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await defaultTenant.GetAsync(new Uri(SubscriptionPath(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await b.DeleteAsync(new Uri(SubscriptionPath(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await b.SendAsync(Request(HttpMethod.Patch, SubscriptionPath(id), """{"description":"x"}""")), HttpStatusCode.NotFound, "ResourceNotFound");
        Assert.Equal([inB], Assert.IsType<JsonArray>(JsonNode.Parse(await b.GetStringAsync(new Uri(Subscriptions, UriKind.Relative)))).Select(s => (string?)s!["id"]));
        Assert.Equal([inDefault], Assert.IsType<JsonArray>(JsonNode.Parse(await defaultTenant.GetStringAsync(new Uri(Subscriptions, UriKind.Relative)))).Select(s => (string?)s!["id"]));
        // The same id may exist in another tenant, and the first one is untouched.
        await SubscribeAsync(b, Minimal(id, "http://127.0.0.1:9/b"));
        Assert.Equal(Endpoint, (string?)(await GetSubscriptionAsync(id, a))["notification"]!["endpoint"]!["uri"]);
    }

    public static TheoryData<string, string, string> InvalidSubscriptions => new()
    {
        { "watchedAttributes with timeInterval", "timeInterval", """{"type":"Subscription","entities":[{"type":"Bridge"}],"watchedAttributes":["state"],"timeInterval":10,"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "throttling with timeInterval", "throttling", """{"type":"Subscription","entities":[{"type":"Bridge"}],"throttling":5,"timeInterval":10,"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "timeInterval without entities", "entities", """{"type":"Subscription","timeInterval":10,"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "timeInterval of 0", "timeInterval", """{"type":"Subscription","entities":[{"type":"Bridge"}],"timeInterval":0,"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "negative throttling", "throttling", """{"type":"Subscription","entities":[{"type":"Bridge"}],"throttling":-1,"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "throttling as a string", "throttling", """{"type":"Subscription","entities":[{"type":"Bridge"}],"throttling":"5","notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "expiresAt in the past", "expiresAt", """{"type":"Subscription","entities":[{"type":"Bridge"}],"expiresAt":"2020-01-01T00:00:00Z","notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "expiresAt not a date-time", "expiresAt", """{"type":"Subscription","entities":[{"type":"Bridge"}],"expiresAt":"tomorrow","notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "endpoint not an absolute URI", "uri", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"/notify"}}}""" },
        { "endpoint scheme ftp", "uri", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"ftp://127.0.0.1/notify"}}}""" },
        { "endpoint without uri", "uri", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"accept":"application/json"}}}""" },
        { "unknown accept", "accept", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{endpoint}}","accept":"text/plain"}}}""" },
        { "unknown format", "format", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"format":"compact","endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "unknown trigger", "notificationTrigger", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notificationTrigger":["entityChanged"],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "pick and omit of the same member", "omit", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"pick":["state","name"],"omit":["state"],"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "attributes with pick", "pick", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"attributes":["state"],"pick":["name"],"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "attributes with omit", "omit", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"attributes":["state"],"omit":["name"],"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "showChanges with keyValues", "showChanges", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"format":"keyValues","showChanges":true,"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "empty entities", "entities", """{"type":"Subscription","entities":[],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "empty watchedAttributes", "watchedAttributes", """{"type":"Subscription","entities":[{"type":"Bridge"}],"watchedAttributes":[],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "empty notificationTrigger", "notificationTrigger", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notificationTrigger":[],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "empty attributes", "attributes", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"attributes":[],"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "empty pick", "pick", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"pick":[],"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "empty omit", "omit", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"omit":[],"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "entity selector without type", "type", """{"type":"Subscription","entities":[{"id":"urn:ngsi-ld:Bridge:1"}],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "invalid q", "q", """{"type":"Subscription","entities":[{"type":"Bridge"}],"q":"state==","notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "invalid geoQ georel", "geoQ", """{"type":"Subscription","entities":[{"type":"Bridge"}],"geoQ":{"geometry":"Point","coordinates":[10.68,53.86],"georel":"close"},"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "invalid geoQ coordinates", "geoQ", """{"type":"Subscription","entities":[{"type":"Bridge"}],"geoQ":{"geometry":"Point","coordinates":[10.68],"georel":"near;maxDistance==100"},"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "invalid scopeQ", "scopeQ", """{"type":"Subscription","entities":[{"type":"Bridge"}],"scopeQ":"Lübeck//","notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "non-string receiverInfo value", "receiverInfo", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{endpoint}}","receiverInfo":[{"key":"X-Key","value":1}]}}}""" },
        { "receiverInfo without value", "receiverInfo", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{endpoint}}","receiverInfo":[{"key":"X-Key"}]}}}""" },
        { "bad MQTT-QoS", "MQTT-QoS", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"mqtt://127.0.0.1/bridges","notifierInfo":[{"key":"MQTT-QoS","value":"3"}]}}}""" },
        { "bad MQTT-Version", "MQTT-Version", """{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"mqtt://127.0.0.1/bridges","notifierInfo":[{"key":"MQTT-Version","value":"mqtt4"}]}}}""" },
        { "no entities and no watchedAttributes", "entities", """{"type":"Subscription","notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "no notification", "notification", """{"type":"Subscription","entities":[{"type":"Bridge"}]}""" },
        { "type not Subscription", "type", """{"type":"Bridge","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "no type", "type", """{"entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "id not a URI", "id", """{"id":"bridges","type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "isActive not a boolean", "isActive", """{"type":"Subscription","entities":[{"type":"Bridge"}],"isActive":"no","notification":{"endpoint":{"uri":"{{endpoint}}"}}}""" },
        { "empty object", "type", "{}" },
    };

    /// <summary>
    /// Each case is refused for its own reason: the detail names the member at fault (SubscriptionReader reports the member
    /// of every check), so a case cannot pass on a mistake elsewhere in its payload.
    /// </summary>
    [Theory]
    [MemberData(nameof(InvalidSubscriptions))]
    public async Task An_invalid_subscription_is_400_BadRequestData_naming_the_member_and_is_not_created(string problem, string member, string body)
    {
        var client = ClientOf(NewTenant());

        var response = await client.SendAsync(Request(HttpMethod.Post, Subscriptions, body.Replace("{{endpoint}}", Endpoint, StringComparison.Ordinal)));

        var details = await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        var detail = (string)details["detail"]!;
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(detail, $@"\b{System.Text.RegularExpressions.Regex.Escape(member)}\b"),
            $"{problem}: the detail does not name {member}: {detail}");
        Assert.Null(response.Headers.Location);
        Assert.Empty(Assert.IsType<JsonArray>(JsonNode.Parse(await client.GetStringAsync(new Uri(Subscriptions, UriKind.Relative)))));
    }

    [Theory]
    [InlineData("""{"type":"Subscription","entities":[{"type":"Bridge"}],""")]
    [InlineData("""{"type":"Subscription"}}""")]
    [InlineData("not json")]
    public async Task A_body_that_is_not_JSON_is_400_InvalidRequest(string body)
    {
        await AssertProblem(await SendAsync(HttpMethod.Post, Subscriptions, body), HttpStatusCode.BadRequest, "InvalidRequest");
    }

    [Fact]
    public async Task Creating_an_id_that_exists_is_409_AlreadyExists_and_keeps_the_first()
    {
        var id = NewSubscriptionId();
        await SubscribeAsync(Minimal(id));

        var response = await SendAsync(HttpMethod.Post, Subscriptions, Minimal(id, "http://127.0.0.1:9/second"));

        await AssertProblem(response, HttpStatusCode.Conflict, "AlreadyExists");
        Assert.Equal(Endpoint, (string?)(await GetSubscriptionAsync(id))["notification"]!["endpoint"]!["uri"]);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task An_unknown_id_is_404_ResourceNotFound(string method)
    {
        await SubscribeAsync(Minimal(NewSubscriptionId()));

        var response = await SendAsync(new HttpMethod(method), SubscriptionPath(NewSubscriptionId()), method == "PATCH" ? """{"description":"x"}""" : null);

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Theory]
    [InlineData("POST", "")]
    [InlineData("GET", "")]
    [InlineData("GET", "/{{id}}")]
    [InlineData("PATCH", "/{{id}}")]
    [InlineData("DELETE", "/{{id}}")]
    public async Task An_unknown_query_parameter_is_400_InvalidRequest(string method, string suffix)
    {
        var client = ClientOf(NewTenant());
        var id = NewSubscriptionId();
        await SubscribeAsync(client, Minimal(id));
        var before = await client.GetStringAsync(new Uri(SubscriptionPath(id), UriKind.Relative));
        var uri = Subscriptions + suffix.Replace("{{id}}", id, StringComparison.Ordinal) + "?invalidParam=invalidValue";
        var body = method switch
        {
            "POST" => Minimal(NewSubscriptionId()),
            "PATCH" => """{"description":"changed"}""",
            _ => null,
        };

        var response = await client.SendAsync(Request(new HttpMethod(method), uri, body));

        await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
        Assert.Equal(before, await client.GetStringAsync(new Uri(SubscriptionPath(id), UriKind.Relative)));
        var all = Assert.IsType<JsonArray>(JsonNode.Parse(await client.GetStringAsync(new Uri(Subscriptions, UriKind.Relative))));
        Assert.Equal([id], all.Select(s => (string?)s!["id"]));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/notify")]
    [InlineData("http://169.254.10.1:8080/notify")]
    public async Task A_link_local_endpoint_is_refused_even_when_loopback_is_allowed(string endpoint)
    {
        var client = ClientOf(NewTenant());
        var existing = await SubscribeAsync(client, Minimal(NewSubscriptionId()));

        var created = await client.SendAsync(Request(HttpMethod.Post, Subscriptions, Minimal(NewSubscriptionId(), endpoint)));
        var updated = await client.SendAsync(Request(HttpMethod.Patch, SubscriptionPath(existing), $$$"""{"notification":{"endpoint":{"uri":"{{{endpoint}}}"}} }"""));

        await AssertProblem(created, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblem(updated, HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal([existing], Assert.IsType<JsonArray>(JsonNode.Parse(await client.GetStringAsync(new Uri(Subscriptions, UriKind.Relative)))).Select(s => (string?)s!["id"]));
        Assert.Equal(Endpoint, (string?)(await GetSubscriptionAsync(existing, client))["notification"]!["endpoint"]!["uri"]);
    }
}
