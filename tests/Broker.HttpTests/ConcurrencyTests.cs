using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>
/// Concurrent writes to different attributes of one entity must not overwrite each other (no lost updates): each writer
/// owns one attribute and writes it several times in sequence; afterwards every attribute holds its writer's last value.
/// </summary>
public sealed class ConcurrencyTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private const int Writers = 24;
    private const int Rounds = 4;

    private static string Attr(int writer) => "a" + writer.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> CreateWithAttributesAsync()
    {
        var attributes = string.Join(',', Enumerable.Range(0, Writers).Select(w => $$$""" "{{{Attr(w)}}}":{"type":"Property","value":-1}"""));
        return await CreateAsync("Board", attributes);
    }

    /// <summary>
    /// Runs the writers; each keeps the value of its last acknowledged write. Then checks, first, that no acknowledged
    /// write was lost (every attribute holds its writer's last acknowledged value) and, second, that every write was acknowledged.
    /// </summary>
    private async Task RunWritersAsync(string id, Func<int, int, HttpRequestMessage> request, HttpStatusCode expected)
    {
        var lastAcknowledged = new int?[Writers];
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            start.Wait();
            for (var round = 0; round < Rounds; round++)
            {
                using var response = await Client.SendAsync(request(w, round));
                if (response.StatusCode == expected)
                    lastAcknowledged[w] = w * 100 + round;
                else
                    failures.Add($"{Attr(w)} round {round}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        })).ToList();
        start.Set();
        await Task.WhenAll(tasks);

        var entity = await GetEntityAsync(id, "?options=keyValues");
        var lost = Enumerable.Range(0, Writers)
            .Where(w => lastAcknowledged[w] is { } value && (entity[Attr(w)] is not JsonValue v || (int)v != value))
            .Select(w => $"{Attr(w)}={entity[Attr(w)]?.ToJsonString() ?? "missing"} but {lastAcknowledged[w]} was acknowledged")
            .ToList();
        Assert.True(lost.Count == 0, $"Lost updates: {string.Join(", ", lost)}");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {Writers * Rounds} writes were refused; first: {failures.FirstOrDefault()}");
        Assert.All(Enumerable.Range(0, Writers), w => Assert.Equal(w * 100 + Rounds - 1, (int)entity[Attr(w)]!));
    }

    [Fact]
    public async Task Parallel_updates_of_different_attributes_are_all_kept()
    {
        var id = await CreateWithAttributesAsync();

        await RunWritersAsync(id, (w, round) => Request(HttpMethod.Patch, AttrsPath(id), $$$"""{"{{{Attr(w)}}}":{"type":"Property","value":{{{w * 100 + round}}}}}"""), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Parallel_partial_attribute_updates_are_all_kept()
    {
        var id = await CreateWithAttributesAsync();

        await RunWritersAsync(id, (w, round) => Request(HttpMethod.Patch, AttrPath(id, Attr(w)), $$$"""{"value":{{{w * 100 + round}}}}"""), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Parallel_appends_of_new_attributes_are_all_kept()
    {
        var id = await CreateAsync("Board");

        await RunWritersAsync(id, (w, round) => Request(HttpMethod.Post, AttrsPath(id), $$$"""{"{{{Attr(w)}}}":{"type":"Property","value":{{{w * 100 + round}}}}}"""), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Parallel_merge_patches_adding_attributes_are_all_kept()
    {
        var id = await CreateAsync("Board");

        await RunWritersAsync(id, (w, round) => Request(HttpMethod.Patch, Path(id), $$$"""{"{{{Attr(w)}}}":{"type":"Property","value":{{{w * 100 + round}}}}}"""), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Parallel_creates_of_one_id_give_exactly_one_201_and_409_for_the_others()
    {
        var id = NewId("Board");
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            start.Wait();
            using var response = await Client.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Board","writer":{"type":"Property","value":{{{w}}}}}"""));
            return (w, response.StatusCode);
        })).ToList();
        start.Set();
        var outcomes = await Task.WhenAll(tasks);

        var winner = Assert.Single(outcomes, o => o.StatusCode == HttpStatusCode.Created);
        Assert.All(outcomes.Where(o => o.w != winner.w), o => Assert.Equal(HttpStatusCode.Conflict, o.StatusCode));
        Assert.Equal(winner.w, (int)(await GetEntityAsync(id, "?options=keyValues"))["writer"]!);
    }
}
