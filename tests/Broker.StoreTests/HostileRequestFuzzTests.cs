using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broker.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Broker.StoreTests;

/// <summary>
/// 10 000 generated hostile requests (<see cref="HostileRequests"/>) against a broker on each store: no response is a
/// 500, every error is a ProblemDetails, nothing of any tenant changed (a digest of every tenant's entities, types,
/// subscriptions and registrations before and after, and no change record after the start), and the broker's memory is bounded.
/// </summary>
public sealed class HostileRequestFuzzTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly int Requests = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_REQUESTS"), out var n) ? n : 10_000;
    private const long MaxHeapGrowthBytes = 256L * 1024 * 1024;

    [Fact]
    public Task Hostile_requests_leave_the_embedded_store_unchanged_and_never_get_a_500() => FuzzAsync(null);

    [PostgresFact]
    public Task Hostile_requests_leave_the_PostgreSQL_store_unchanged_and_never_get_a_500() => FuzzAsync(database.ConnectionString);

    private async Task FuzzAsync(string? connectionString)
    {
        // The seeded registrations point at a documentation address: a forwarded query gives up on it quickly.
        using var broker = new TestBroker(connectionString, new Dictionary<string, string> { ["Federation:Timeout"] = "00:00:00.200" });
        using var client = broker.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        await SeedAsync(client);
        var feed = broker.Services.GetRequiredService<IChangeFeed>();
        var store = broker.Services.GetRequiredService<IEntityStore>();
        var headBefore = await feed.HeadAsync(CancellationToken.None);
        var digestBefore = await DigestAsync(client);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var sent = 0;
        var heapHalfway = 0L;
        var unsendable = 0;
        var clock = Stopwatch.StartNew();
        var slowest = new SortedSet<(TimeSpan Took, string Request)>();
        foreach (var hostile in HostileRequests.Sample())
        {
            var started = clock.Elapsed;
            var (status, problem) = await SendAsync(broker, client, hostile);
            if (status is null)
            {
                unsendable++;
                continue;
            }
            sent++;
            if (sent == Requests / 2)
                heapHalfway = GC.GetTotalMemory(forceFullCollection: true);
            slowest.Add((clock.Elapsed - started, hostile.ToString()));
            if (slowest.Count > 10)
                slowest.Remove(slowest.Min);
            statuses[status.Value] = statuses.GetValueOrDefault(status.Value) + 1;
            if (problem is not null && failures.Count < 40)
                failures.Add($"{problem}: {hostile}");
            if (hostile.Method != "GET" && status is >= 200 and < 300 and not 207 && !hostile.PathAndQuery.Contains("/query", StringComparison.Ordinal) && failures.Count < 40)
                failures.Add($"{status} for a write that had to be refused: {hostile}");
            if (sent == Requests)
                break;
        }
        clock.Stop();

        // PostgreSQL's feed position moves with every transaction (delivery bookkeeping too): what counts is that no change follows it.
        var changesAfter = (await feed.ReadAsync("fuzz-check", headBefore, 10, CancellationToken.None)).Changes;
        var digestAfter = await DigestAsync(client);
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        var neverCreated = new List<string>();
        foreach (var tenant in new[] { "fuzz-never-created", "../../etc", "a;DROP TABLE entities", "tenant with spaces" })
        {
            if (await store.TenantExistsAsync(tenant, CancellationToken.None))
                neverCreated.Add(tenant);
        }

        output.WriteLine($"store: {(connectionString is null ? "embedded" : "PostgreSQL")}; requests sent: {sent} in {clock.Elapsed.TotalSeconds:0.0} s; not sendable at all: {unsendable}");
        output.WriteLine("statuses: " + string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")));
        output.WriteLine($"500s: {statuses.GetValueOrDefault(500)}; digest before {digestBefore[..16]}, after {digestAfter[..16]}; changes committed: {changesAfter.Count}");
        output.WriteLine($"managed heap after a full collection: {heapBefore / 1048576.0:0.0} MiB before, {heapHalfway / 1048576.0:0.0} MiB halfway, {heapAfter / 1048576.0:0.0} MiB after; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MiB");

        output.WriteLine("slowest: " + string.Join("\n  ", slowest.Reverse().Select(s => $"{s.Took.TotalMilliseconds:0} ms {Shorten(s.Request)}")));
        Assert.Equal(Requests, sent);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(0, statuses.GetValueOrDefault(500));
        Assert.Equal(digestBefore, digestAfter);
        Assert.Empty(changesAfter);
        Assert.Empty(neverCreated);
        Assert.True(heapAfter - heapBefore < MaxHeapGrowthBytes, $"The heap grew by {(heapAfter - heapBefore) / 1048576.0:0} MiB.");
    }

    /// <summary>
    /// Sends the request through HttpClient, or, when HttpClient refuses to (a line break in a header value), straight
    /// into the server's request as a client on a raw connection could; null status when neither can carry it.
    /// </summary>
    private static async Task<(int? Status, string? Problem)> SendAsync(TestBroker broker, HttpClient client, HostileRequest hostile)
    {
        HttpRequestMessage? request = null;
        try
        {
            request = ToMessage(hostile);
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, ProblemWith((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
        }
        catch (Exception e) when (e is UriFormatException or FormatException or InvalidOperationException or HttpRequestException)
        {
        }
        finally
        {
            request?.Dispose();
        }
        var queryAt = hostile.PathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = queryAt < 0 ? hostile.PathAndQuery : hostile.PathAndQuery[..queryAt];
        try
        {
            var context = await broker.Server.SendAsync(http =>
            {
                http.Request.Method = hostile.Method;
                http.Request.Path = Microsoft.AspNetCore.Http.PathString.FromUriComponent(path);
                http.Request.QueryString = queryAt < 0 ? default : new Microsoft.AspNetCore.Http.QueryString(hostile.PathAndQuery[queryAt..]);
                if (hostile.Tenant is not null)
                    http.Request.Headers["NGSILD-Tenant"] = hostile.Tenant;
                if (hostile.Body is not null)
                {
                    http.Request.Body = new MemoryStream(hostile.Body);
                    http.Request.ContentLength = hostile.Body.Length;
                    http.Request.ContentType = hostile.ContentType;
                }
            });
            using var reader = new StreamReader(context.Response.Body);
            var body = await reader.ReadToEndAsync();
            return (context.Response.StatusCode, ProblemWith(context.Response.StatusCode, body));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or InvalidOperationException)
        {
            // Not a request line a server accepts (a NUL in the path: Kestrel answers 400 before the broker sees it).
            return (null, null);
        }
    }

    private static HttpRequestMessage ToMessage(HostileRequest hostile)
    {
        var request = new HttpRequestMessage(new HttpMethod(hostile.Method), new Uri(hostile.PathAndQuery, UriKind.Relative));
        if (hostile.Tenant is not null && !request.Headers.TryAddWithoutValidation("NGSILD-Tenant", hostile.Tenant))
            throw new FormatException("tenant header refused");
        if (hostile.Body is not null)
        {
            request.Content = new ByteArrayContent(hostile.Body);
            if (hostile.ContentType is not null && !request.Content.Headers.TryAddWithoutValidation("Content-Type", hostile.ContentType))
                throw new FormatException("content type refused");
        }
        return request;
    }

    /// <summary>What is wrong with the answer, or null: a 500, an error that is not a ProblemDetails of its status, a 2xx write that should not have succeeded.</summary>
    private static string? ProblemWith(int status, string body)
    {
        if (status == 500)
            return "500";
        if (status < 400)
            return null;
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (!problem.RootElement.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !problem.RootElement.TryGetProperty("status", out var stated) || stated.GetInt32() != status
                || !problem.RootElement.TryGetProperty("detail", out var detail) || string.IsNullOrEmpty(detail.GetString()))
                return $"{status} without a complete ProblemDetails ({Shorten(body)})";
        }
        catch (JsonException)
        {
            return $"{status} with a body that is not JSON ({Shorten(body)})";
        }
        return status is >= 500 and not (501 or 503) ? $"{status}" : null;
    }

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;

    private static HttpRequestMessage Request(HttpMethod method, string path, string? tenant, string? json = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (tenant is not null)
            request.Headers.Add("NGSILD-Tenant", tenant);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    private static async Task SeedAsync(HttpClient client)
    {
        foreach (var tenant in HostileRequests.Tenants.Where(t => t != "fuzz-never-created"))
        {
            var entities = Enumerable.Range(1, 20).Select(i => $$$"""
                {"id":"{{{HostileRequests.SeedPrefix}}}{{{i}}}","type":"Seed","name":{"type":"Property","value":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"},
                 "count":{"type":"Property","value":{{{i}}}},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[{{{10 + i * 0.01}}},53.8]}},
                 "next":{"type":"Relationship","object":"{{{HostileRequests.SeedPrefix}}}{{{i % 20 + 1}}}"}}
                """);
            using var batch = await client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/create", tenant, "[" + string.Join(",", entities) + "]"));
            Assert.Equal(HttpStatusCode.Created, batch.StatusCode);
            using var subscription = await client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", tenant,
                """{"type":"Subscription","entities":[{"type":"Seed"}],"notification":{"endpoint":{"uri":"http://198.51.100.1/notify"}},"isActive":false}"""));
            Assert.Equal(HttpStatusCode.Created, subscription.StatusCode);
            using var registration = await client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/csourceRegistrations", tenant,
                """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"Elsewhere"}]}],"endpoint":"http://198.51.100.1"}"""));
            Assert.Equal(HttpStatusCode.Created, registration.StatusCode);
        }
    }

    /// <summary>A SHA-256 over every seeded tenant's entities (with their system attributes), types, attributes, subscriptions and registrations, and the hosted @contexts.</summary>
    private static async Task<string> DigestAsync(HttpClient client)
    {
        var text = new StringBuilder();
        foreach (var tenant in HostileRequests.Tenants.Where(t => t != "fuzz-never-created"))
        {
            foreach (var path in new[]
            {
                "/ngsi-ld/v1/entities?type=Seed&limit=1000&options=sysAttrs", "/ngsi-ld/v1/types?details=true", "/ngsi-ld/v1/attributes?details=true",
                "/ngsi-ld/v1/subscriptions?limit=1000", "/ngsi-ld/v1/csourceRegistrations?type=Elsewhere&limit=1000",
            })
            {
                using var response = await client.SendAsync(Request(HttpMethod.Get, path, tenant));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadAsStringAsync();
                // Delivery counters of the (inactive) subscriptions are not data of the tenant.
                text.Append(tenant).Append(path).Append(StripStatus(body)).Append('\n');
            }
        }
        using (var contexts = await client.GetAsync(new Uri("/ngsi-ld/v1/jsonldContexts?details=true", UriKind.Relative)))
            text.Append(await contexts.Content.ReadAsStringAsync());
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string StripStatus(string body)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(body);
        if (node is System.Text.Json.Nodes.JsonArray array)
        {
            foreach (var item in array.OfType<System.Text.Json.Nodes.JsonObject>())
            {
                if (item["notification"] is System.Text.Json.Nodes.JsonObject notification)
                {
                    foreach (var key in new[] { "timesSent", "timesFailed", "lastNotification", "lastFailure", "lastSuccess", "status" })
                        notification.Remove(key);
                }
            }
        }
        return node?.ToJsonString() ?? "";
    }
}
