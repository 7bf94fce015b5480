using System.Net;
using System.Text.Json.Nodes;
using Adapters.Core;
using Xunit;

namespace Adapters.Tests.Core;

public sealed class EntitySinkTests : IAsyncLifetime
{
    private readonly FakeBroker _broker = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("adapters-sink-").FullName;
    private DeadLetterFolder _deadLetters = null!;
    private EntitySink _sink = null!;

    public Task InitializeAsync()
    {
        _deadLetters = new DeadLetterFolder(_folder);
        _sink = Sink();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private EntitySink Sink(string whenBrokerUnavailable = EntitySinkOptions.DeadLetter, int retries = 3) =>
        new(new NgsiLdClient(new HttpClient(_broker), FakeBroker.Options(retries: retries)), _deadLetters, new EntitySinkOptions { WhenBrokerUnavailable = whenBrokerUnavailable });

    private List<JsonObject> Letters() => [.. _deadLetters.Files().Select(file => JsonNode.Parse(File.ReadAllText(file))!.AsObject())];

    [Fact]
    public async Task Valid_entities_are_upserted_and_accepted()
    {
        var outcome = await _sink.SubmitAsync("test", "record", [FakeBroker.ParkingSpot("a"), FakeBroker.Device("d")], default);

        Assert.Equal(2, outcome.Accepted);
        Assert.Empty(outcome.DeadLettered);
        Assert.Equal(2, _broker.Upserts.Count);
        Assert.Empty(Letters());
    }

    [Fact]
    public async Task An_entity_that_leaves_a_required_attribute_to_the_broker_is_checked_with_the_brokers_value_and_sent_without_it()
    {
        var kept = FakeBroker.ParkingSpot("kept");
        var status = kept.Body["status"]!.AsObject();
        kept.Body.Remove("status");
        var missing = FakeBroker.ParkingSpot("missing");
        missing.Body.Remove("status");

        var outcome = await _sink.SubmitAsync("test", "record", [kept with { KeptByBroker = new JsonObject { ["status"] = status } }, missing], default);

        Assert.Equal(1, outcome.Accepted);
        Assert.Equal("urn:ngsi-ld:ParkingSpot:missing", Assert.Single(outcome.DeadLettered).EntityId);
        var sent = Assert.Single(Assert.Single(_broker.Upserts).Entities)!.AsObject();
        Assert.Equal("urn:ngsi-ld:ParkingSpot:kept", (string)sent["id"]!);
        Assert.False(sent.ContainsKey("status"));
    }

    [Fact]
    public async Task An_entity_its_schema_rejects_is_a_dead_letter_with_the_validators_errors_and_the_others_are_sent()
    {
        var invalid = FakeBroker.ParkingSpot("bad", status: "parked");
        var outcome = await _sink.SubmitAsync("lorawan/chirpstack", "{\"the\": \"uplink\"}", [invalid, FakeBroker.ParkingSpot("good")], default);

        Assert.Equal(1, outcome.Accepted);
        var dead = Assert.Single(outcome.DeadLettered);
        Assert.Equal("urn:ngsi-ld:ParkingSpot:bad", dead.EntityId);
        Assert.StartsWith("ParkingSpot does not conform to the dataModel.Parking schema: /status", dead.Reason, StringComparison.Ordinal);
        Assert.Equal(["urn:ngsi-ld:ParkingSpot:good"], _broker.Upserts.SelectMany(request => request.Entities).Select(entity => (string)entity!["id"]!));
        var letter = Assert.Single(Letters());
        Assert.Equal("lorawan/chirpstack", (string)letter["source"]!);
        Assert.Equal(dead.Reason, (string)letter["reason"]!);
        Assert.Equal("{\"the\": \"uplink\"}", (string)letter["original"]!);
        Assert.Equal("urn:ngsi-ld:ParkingSpot:bad", (string)letter["entityId"]!);
        Assert.Equal("parked", (string)letter["entity"]!["status"]!["value"]!);
    }

    [Fact]
    public async Task An_entity_the_broker_refuses_is_a_dead_letter_with_the_brokers_reason()
    {
        _broker.Answer = (_, _) => FakeBroker.Json(HttpStatusCode.MultiStatus, """
            {"success": [], "errors": [{"entityId": "urn:ngsi-ld:ParkingSpot:a", "error": {"type": "https://uri.etsi.org/ngsi-ld/errors/BadRequestData", "title": "Bad request data", "detail": "no"}}]}
            """);
        var outcome = await _sink.SubmitAsync("test", "record", [FakeBroker.ParkingSpot("a")], default);

        Assert.Equal(0, outcome.Accepted);
        var letter = Assert.Single(Letters());
        Assert.Contains("Bad request data: no", (string)letter["reason"]!, StringComparison.Ordinal);
        Assert.Equal("record", (string)letter["original"]!);
    }

    [Fact]
    public async Task When_the_broker_stays_down_the_entities_are_dead_letters()
    {
        _broker.Answer = (_, _) => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        var outcome = await _sink.SubmitAsync("test", "record", [FakeBroker.ParkingSpot("a"), FakeBroker.ParkingSpot("b")], default);

        Assert.Equal(0, outcome.Accepted);
        Assert.Equal(2, outcome.DeadLettered.Count);
        Assert.Equal(4, _broker.Upserts.Count);
        Assert.All(Letters(), letter => Assert.Contains("503", (string)letter["reason"]!, StringComparison.Ordinal));
        Assert.Equal(2, Letters().Count);
    }

    [Fact]
    public async Task When_the_broker_stays_down_a_throwing_sink_throws_and_keeps_no_dead_letter()
    {
        _broker.Answer = (_, _) => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        await using var sink = Sink(EntitySinkOptions.Throw, retries: 1);

        await Assert.ThrowsAsync<BrokerUnavailableException>(() => sink.SubmitAsync("test", "record", [FakeBroker.ParkingSpot("a")], default));
        Assert.Empty(Letters());
    }

    [Fact]
    public async Task A_rejected_record_is_a_dead_letter_without_an_entity()
    {
        await _sink.RejectAsync("parking/sensit", "<xml/>", "SENSIT: no status", default);

        var letter = Assert.Single(Letters());
        Assert.Equal("SENSIT: no status", (string)letter["reason"]!);
        Assert.Equal("<xml/>", (string)letter["original"]!);
        Assert.False(letter.ContainsKey("entity"));
        Assert.True(DateTimeOffset.TryParse((string)letter["receivedAt"]!, out _));
    }

    [Fact]
    public async Task Submissions_made_while_an_upsert_is_under_way_are_coalesced_into_few_requests()
    {
        var release = new TaskCompletionSource();
        _broker.Answer = (_, _) =>
        {
            release.Task.Wait();
            return new HttpResponseMessage(HttpStatusCode.NoContent);
        };
        var submissions = Enumerable.Range(0, 50).Select(i => _sink.SubmitAsync("test", $"uplink {i}", [FakeBroker.ParkingSpot($"s{i}")], default)).ToList();
        await Task.Delay(200);
        release.SetResult();
        var outcomes = await Task.WhenAll(submissions);

        Assert.All(outcomes, outcome => Assert.Equal(1, outcome.Accepted));
        Assert.Equal(50, _broker.Upserts.Sum(request => request.Entities.Count));
        Assert.True(_broker.Upserts.Count <= 3, $"{_broker.Upserts.Count} upserts for 50 submissions");
    }

    [Fact]
    public async Task Two_submissions_of_one_entity_are_not_coalesced_and_stay_in_order()
    {
        var release = new TaskCompletionSource();
        _broker.Answer = (_, _) =>
        {
            release.Task.Wait();
            return new HttpResponseMessage(HttpStatusCode.NoContent);
        };
        var first = _sink.SubmitAsync("test", "1", [FakeBroker.ParkingSpot("other")], default);
        await Task.Delay(100);
        var second = _sink.SubmitAsync("test", "2", [FakeBroker.ParkingSpot("x", "free")], default);
        var third = _sink.SubmitAsync("test", "3", [FakeBroker.ParkingSpot("x", "occupied")], default);
        await Task.Delay(100);
        release.SetResult();
        await Task.WhenAll(first, second, third);

        var statuses = _broker.Upserts.Select(request => request.Entities.Where(entity => (string)entity!["id"]! == "urn:ngsi-ld:ParkingSpot:x").Select(entity => (string)entity!["status"]!["value"]!).ToList()).Where(list => list.Count > 0).ToList();
        Assert.Equal([["free"], ["occupied"]], statuses);
    }
}
