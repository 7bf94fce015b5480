using System.Net;
using System.Text.Json.Nodes;
using Broker.HttpTests.Subscriptions;
using Xunit;

namespace Broker.HttpTests;

/// <summary>
/// Purge entities (clause 5.6.21): DELETE /entities deletes what a query selects, or only drops attributes (drop) or
/// keeps some (keep); local=true alone purges the tenant; matching context sources are sent the same request.
/// </summary>
public sealed class PurgeEntitiesTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    private static string NewType() => "Building" + Guid.NewGuid().ToString("N")[..8];

    private async Task<string> CreateBuildingAsync(string type, string name, int floors) =>
        await CreateAsync(type, $$""" "name":{"type":"Property","value":"{{name}}"},"floors":{"type":"Property","value":{{floors}}},"category":{"type":"Property","value":"office"}""");

    private async Task<List<string>> IdsOfTypeAsync(string type) =>
        [.. (await GetJsonAsync($"{Entities}?type={type}&limit=100")).AsArray().Select(e => (string)e!["id"]!)];

    [Fact]
    public async Task Purging_by_type_deletes_only_entities_of_that_type()
    {
        var type = NewType();
        var other = NewType();
        await CreateBuildingAsync(type, "Rathaus", 4);
        await CreateBuildingAsync(type, "Holstentor", 3);
        var kept = await CreateBuildingAsync(other, "Dom", 2);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Delete, $"{Entities}?type={type}"));

        Assert.Empty(await IdsOfTypeAsync(type));
        Assert.Equal([kept], await IdsOfTypeAsync(other));
    }

    [Fact]
    public async Task Purging_by_q_and_by_id_deletes_only_the_matching_entities()
    {
        var type = NewType();
        var tall = await CreateBuildingAsync(type, "Rathaus", 12);
        var low = await CreateBuildingAsync(type, "Holstentor", 3);
        var byId = await CreateBuildingAsync(type, "Dom", 5);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Delete, $"{Entities}?type={type}&q=floors>10"));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Delete, $"{Entities}?id={byId}"));

        await AssertEntityAbsent(tall);
        await AssertEntityAbsent(byId);
        Assert.Equal([low], await IdsOfTypeAsync(type));
    }

    [Fact]
    public async Task Drop_removes_the_named_attributes_and_keep_all_others_and_the_entities_stay()
    {
        var type = NewType();
        var dropped = await CreateBuildingAsync(type, "Rathaus", 4);
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Delete, $"{Entities}?type={type}&drop=name,floors"));
        var entity = await GetEntityAsync(dropped, "?options=keyValues");
        Assert.False(entity.ContainsKey("name"));
        Assert.False(entity.ContainsKey("floors"));
        Assert.Equal("office", (string?)entity["category"]);

        var kept = await CreateBuildingAsync(type, "Holstentor", 3);
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Delete, $"{Entities}?id={kept}&keep=name"));
        entity = await GetEntityAsync(kept, "?options=keyValues");
        Assert.Equal("Holstentor", (string?)entity["name"]);
        Assert.False(entity.ContainsKey("floors"));
        Assert.False(entity.ContainsKey("category"));
        Assert.False((await GetEntityAsync(dropped, "?options=keyValues")).ContainsKey("name"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?keep=name&drop=floors&type=T")]
    [InlineData("?attrs=name")]
    [InlineData("?type=T&q=floors>>1")]
    public async Task A_purge_without_a_selection_or_with_keep_and_drop_is_refused_and_changes_nothing(string query)
    {
        var type = NewType();
        var id = await CreateBuildingAsync(type, "Rathaus", 4);
        var response = await SendAsync(HttpMethod.Delete, Entities + query.Replace("type=T", "type=" + type, StringComparison.Ordinal));
        await AssertStatus(HttpStatusCode.BadRequest, response);
        var problem = await ReadJsonAsync(response);
        Assert.Contains((string?)problem["type"], new[] { ErrorBase + "BadRequestData", ErrorBase + "InvalidRequest" });
        Assert.Equal("Rathaus", (string?)(await GetEntityAsync(id, "?options=keyValues"))["name"]);
    }

    [Fact]
    public async Task Local_alone_purges_every_entity_of_the_tenant_and_nothing_of_another()
    {
        var tenant = "purge-" + Guid.NewGuid().ToString("N")[..10];
        using var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        foreach (var n in new[] { 1, 2, 3 })
        {
            var created = await client.PostAsync(new Uri(Entities, UriKind.Relative),
                new StringContent($$"""{"id":"urn:ngsi-ld:Thing:{{n}}","type":"Thing{{n}}"}""", System.Text.Encoding.UTF8, "application/json"));
            await AssertStatus(HttpStatusCode.Created, created);
        }
        var type = NewType();
        var elsewhere = await CreateBuildingAsync(type, "Rathaus", 4);

        await AssertStatus(HttpStatusCode.NoContent, await client.DeleteAsync(new Uri(Entities + "?local=true", UriKind.Relative)));

        var left = await client.GetAsync(new Uri(Entities + "?local=true", UriKind.Relative));
        await AssertStatus(HttpStatusCode.OK, left);
        Assert.Empty((await ReadJsonAsync(left)).AsArray());
        Assert.Equal([elsewhere], await IdsOfTypeAsync(type));
    }

    [Fact]
    public async Task A_purge_is_a_change_like_any_other_and_is_notified()
    {
        var type = NewType();
        var id = await CreateBuildingAsync(type, "Rathaus", 4);
        var path = NotificationReceiver.NewPath();
        await SubscribeAsync("""{"type":"Subscription","entities":[{"type":"TYPE"}],"notificationTrigger":["entityDeleted"],"notification":{"endpoint":{"uri":"URL"}}}"""
            .Replace("TYPE", type, StringComparison.Ordinal).Replace("URL", Receiver.UrlOf(path), StringComparison.Ordinal));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Delete, $"{Entities}?type={type}"));
        var notification = (await Receiver.WaitForAsync(path, 1, TimeSpan.FromSeconds(20)))[0].Json;
        Assert.Equal(id, (string?)notification["data"]![0]!["id"]);
    }

    [Fact]
    public async Task Matching_context_sources_are_sent_the_purge_and_one_that_fails_is_reported_in_a_207()
    {
        // A tenant of its own: the registrations would match the other tests' purges.
        using var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", "purge-sources-" + Guid.NewGuid().ToString("N")[..10]);
        async Task<HttpResponseMessage> Send(HttpMethod method, string uri, string? body = null)
        {
            using var request = Request(method, uri, body);
            return await client.SendAsync(request);
        }
        var type = NewType();
        var local = NewId(type);
        await AssertStatus(HttpStatusCode.Created, await Send(HttpMethod.Post, Entities, $$"""{"id":"{{local}}","type":"{{type}}"}"""));
        var source = "/source-" + Guid.NewGuid().ToString("N")[..8];
        var failing = "/failing-" + Guid.NewGuid().ToString("N")[..8];
        Receiver.Answer(source + Entities, Reply.WithStatus(204));
        Receiver.Answer(failing + Entities, Reply.WithStatus(500));
        foreach (var endpoint in new[] { source, failing })
        {
            var registration = $$"""{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{type}}"}]}],"endpoint":"{{Receiver.UrlOf(endpoint)}}","operations":["redirectionOps"]}""";
            await AssertStatus(HttpStatusCode.Created, await Send(HttpMethod.Post, "/ngsi-ld/v1/csourceRegistrations", registration));
        }

        var response = await Send(HttpMethod.Delete, $"{Entities}?type={type}");

        await AssertStatus(HttpStatusCode.MultiStatus, response);
        var error = Assert.Single((await ReadJsonAsync(response))["errors"]!.AsArray());
        Assert.NotNull((string?)error!["registrationId"]);
        Assert.Equal(500, (int)error["error"]!["status"]!);
        var sent = Assert.Single(Receiver.RequestsTo(source + Entities));
        Assert.Equal("DELETE", sent.Method);
        Assert.Equal($"{source}{Entities}?type={type}", sent.Target);
        await AssertStatus(HttpStatusCode.NotFound, await Send(HttpMethod.Get, Path(local) + "?local=true"));
    }
}
