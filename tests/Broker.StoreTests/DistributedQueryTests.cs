using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Tests.Shared;
using Xunit;
using static Broker.StoreTests.DistributedRetrievalTests;

namespace Broker.StoreTests;

/// <summary>
/// Query entities by POST /entityOperations/query and retrieve entity through registrations that support only one of
/// queryEntity and queryBatch (clause 4.3.6, 5.7.1, 5.7.2), on the brokers and sources of <see cref="DistributedRetrievalTests"/>.
/// </summary>
public sealed class DistributedQueryTests(Brokers brokers) : IClassFixture<Brokers>
{
    [Fact]
    public async Task A_query_by_POST_on_A_merges_the_entities_of_an_inclusive_source_with_its_own_and_pages_them()
    {
        const string Tenant = "dist-post-query";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:shared","type":"Room","humidity":{"type":"Property","value":40}}""");
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:a-only","type":"Room"}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:shared","type":"Room","temperature":{"type":"Property","value":21}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:b-only","type":"Room"}""");
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        Assert.Equal(["urn:x:a-only", "urn:x:b-only", "urn:x:shared"], Ids(await PostOkAsync(a, "", """{"type":"Query","entities":[{"type":"Room"}]}""")));
        using var merged = JsonDocument.Parse(await PostOkAsync(a, "?options=keyValues", """{"type":"Query","entities":[{"type":"Room","id":"urn:x:shared"}]}"""));
        Assert.Equal(21, merged.RootElement[0].GetProperty("temperature").GetInt32());
        Assert.Equal(40, merged.RootElement[0].GetProperty("humidity").GetInt32());

        using var page = await PostAsync(a, "?limit=1&offset=1&count=true", """{"type":"Query","entities":[{"type":"Room","id":"urn:x:a-only"},{"type":"Room","id":"urn:x:b-only"},{"type":"Room","id":"urn:x:shared"}]}""");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("3", page.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal(["urn:x:b-only"], Ids(await page.Content.ReadAsStringAsync()));

        Assert.Equal(["urn:x:a-only", "urn:x:shared"], Ids(await PostOkAsync(a, "?local=true", """{"type":"Query","entities":[{"type":"Room"}]}""")));
    }

    [Fact]
    public async Task A_source_registered_for_queryEntity_alone_is_asked_by_GET_and_one_for_queryBatch_alone_by_POST()
    {
        const string Tenant = "dist-query-operations";
        await RegisterAsync(brokers.A, Tenant, brokers.RecordingSource, "inclusive", null, "queryEntity");
        using var a = Client(brokers.A, Tenant);

        using (var posted = JsonDocument.Parse(await PostOkAsync(a, "?options=keyValues", """{"type":"Query","entities":[{"type":"Room","id":"urn:x:one"}]}""")))
        {
            Assert.Equal("urn:x:one", posted.RootElement[0].GetProperty("id").GetString());
            Assert.Equal("queryEntity", posted.RootElement[0].GetProperty("askedBy").GetString());
        }

        const string BatchTenant = "dist-query-operations-batch";
        await RegisterAsync(brokers.A, BatchTenant, brokers.RecordingSource, "inclusive", null, "queryBatch");
        using var batchClient = Client(brokers.A, BatchTenant);
        using var got = JsonDocument.Parse(await GetOkAsync(batchClient, "/ngsi-ld/v1/entities?type=Room&id=urn:x:two&options=keyValues"));
        Assert.Equal("urn:x:two", got.RootElement[0].GetProperty("id").GetString());
        Assert.Equal("queryBatch", got.RootElement[0].GetProperty("askedBy").GetString());
        Assert.Equal("Room", got.RootElement[0].GetProperty("askedType").GetString());
    }

    [Fact]
    public async Task Retrieve_entity_asks_a_source_without_retrieveEntity_a_query_for_the_id_with_its_registered_type()
    {
        const string Tenant = "dist-retrieve-by-query";
        await RegisterAsync(brokers.A, Tenant, brokers.RecordingSource, "inclusive", null, "queryEntity");
        using var a = Client(brokers.A, Tenant);
        using (var byGet = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:x:by-get?options=keyValues")))
        {
            Assert.Equal("queryEntity", byGet.RootElement.GetProperty("askedBy").GetString());
            Assert.Equal("Room,Loop", byGet.RootElement.GetProperty("askedType").GetString());
        }

        const string BatchTenant = "dist-retrieve-by-batch";
        await RegisterAsync(brokers.A, BatchTenant, brokers.RecordingSource, "inclusive", null, "queryBatch");
        using var batchClient = Client(brokers.A, BatchTenant);
        using var byPost = JsonDocument.Parse(await GetOkAsync(batchClient, "/ngsi-ld/v1/entities/urn:x:by-post?options=keyValues"));
        Assert.Equal("urn:x:by-post", byPost.RootElement.GetProperty("id").GetString());
        Assert.Equal("queryBatch", byPost.RootElement.GetProperty("askedBy").GetString());
        Assert.Contains(brokers.Recorded, r => r.Request.StartsWith("POST /ngsi-ld/v1/entityOperations/query", StringComparison.Ordinal)
            && r.Body.Contains("\"id\":\"urn:x:by-post\"", StringComparison.Ordinal) && r.Body.Contains("\"type\":\"Room,Loop\"", StringComparison.Ordinal));

        const string RetrieveTenant = "dist-retrieve-by-retrieve";
        await RegisterAsync(brokers.A, RetrieveTenant, brokers.RecordingSource, "inclusive", null, "retrieveEntity", "queryEntity");
        using var retrieveClient = Client(brokers.A, RetrieveTenant);
        using var retrieved = JsonDocument.Parse(await GetOkAsync(retrieveClient, "/ngsi-ld/v1/entities/urn:x:by-retrieve?options=keyValues"));
        Assert.Equal("retrieveEntity", retrieved.RootElement.GetProperty("askedBy").GetString());
    }

    [Fact]
    public async Task A_dead_source_leaves_a_POST_query_answering_with_A_alone_and_bad_input_stays_a_400()
    {
        const string Tenant = "dist-post-failing";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:room","type":"Room"}""");
        await RegisterAsync(brokers.A, Tenant, new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}"), "inclusive", null);
        await RegisterAsync(brokers.A, Tenant, brokers.SlowSource, "inclusive", null, "queryBatch");

        using var a = Client(brokers.A, Tenant);
        var watch = Stopwatch.StartNew();
        using var response = await PostAsync(a, "", """{"type":"Query","entities":[{"type":"Room"}]}""");
        watch.Stop();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["urn:x:room"], Ids(await response.Content.ReadAsStringAsync()));
        Assert.Equal("199 - Miscellaneous Warning", response.Headers.GetValues("NGSILD-Warning").Single());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the query took {watch.Elapsed}");

        using var bad = await PostAsync(a, "", """{"type":"Query","entities":[{"type":"Room"}],"q":"(("}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Contains("BadRequestData", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string query, string body) =>
        await client.PostAsync("/ngsi-ld/v1/entityOperations/query" + query, new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task<string> PostOkAsync(HttpClient client, string query, string body)
    {
        using var response = await PostAsync(client, query, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {text}");
        return text;
    }
}
