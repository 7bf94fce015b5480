using System.Net;
using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.Parking;
using Adapters.Tests.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Ontology.SmartDataModels;
using Xunit;

namespace Adapters.Tests.Parking;

public sealed class UnobservedSpotStatusTests
{
    private const string Table = "parking/datex2-v2/friedrichshafen-spot-sensors-ParkingTablePublication.xml";
    private const string Status = "parking/datex2-v2/friedrichshafen-spot-sensors-ParkingStatusPublication.xml";

    private readonly ParkingMapping mapping = TestMappings.Parking();
    private readonly FakeBroker broker = new();
    private readonly ParkingSiteAggregator aggregator;
    private readonly UnobservedSpotStatus unobserved;

    public UnobservedSpotStatusTests()
    {
        aggregator = new ParkingSiteAggregator(mapping);
        unobserved = new UnobservedSpotStatus(aggregator, new NgsiLdClient(new HttpClient(broker), FakeBroker.Options(retries: 0)), NullLogger<UnobservedSpotStatus>.Instance);
    }

    private IReadOnlyList<AdapterEntity> Translate(string sample) => Datex2ParkingTranslation.Translate(ReferenceData.ReadSourceFormat(sample), mapping);

    /// <summary>The broker's answer to a query: each entity asked for that <paramref name="status"/> gives a status for, with it.</summary>
    private void BrokerHolds(Func<string, JsonObject?> status) => broker.Answer = (request, _) =>
    {
        var held = new JsonArray();
        foreach (var selector in JsonNode.Parse(request.Body)!["entities"]!.AsArray())
        {
            var id = (string)selector!["id"]!;
            if (status(id) is { } value)
                held.Add(new JsonObject { ["id"] = id, ["type"] = "ParkingSpot", ["status"] = value });
        }
        return FakeBroker.Json(HttpStatusCode.OK, held.ToJsonString());
    };

    private static JsonObject StatusProperty(string value, string observedAt) => new() { ["type"] = "Property", ["value"] = value, ["observedAt"] = observedAt };

    [Fact]
    public async Task A_table_after_a_status_publication_keeps_the_status_each_spot_was_observed_with()
    {
        var observed = Translate(Status);
        aggregator.Observe(observed);

        var prepared = await unobserved.PrepareAsync(Translate(Table), default);

        Assert.Empty(prepared.HeldBack);
        var statusOf = observed.ToDictionary(spot => spot.Id, spot => spot.Body["status"]);
        Assert.Equal(statusOf.Count, prepared.Entities.Count);
        Assert.All(prepared.Entities, spot =>
        {
            Assert.True(JsonNode.DeepEquals(statusOf[spot.Id], spot.Body["status"]), $"{spot.Id}: {spot.Body["status"]}");
            Assert.NotNull(spot.Body["name"]);
            Assert.Null(spot.KeptByBroker);
        });
        Assert.Empty(broker.Requests);
        Assert.Empty(aggregator.Observe(prepared.Entities));
    }

    [Fact]
    public async Task After_a_restart_one_query_asks_the_broker_and_a_spot_it_holds_is_sent_without_its_status_one_it_lacks_as_unknown()
    {
        var table = Translate(Table);
        var held = table.Take(3).ToDictionary(spot => spot.Id, _ => StatusProperty("occupied", "2025-04-11T07:09:27.000Z"));
        BrokerHolds(id => held.GetValueOrDefault(id));

        var prepared = await unobserved.PrepareAsync(table, default);

        Assert.Empty(prepared.HeldBack);
        var query = Assert.Single(broker.Queries);
        Assert.Equal("?limit=55", query.Uri.Query);
        Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", query.Link, StringComparison.Ordinal);
        var body = JsonNode.Parse(query.Body)!;
        Assert.Equal("Query", (string)body["type"]!);
        Assert.Equal(["status"], body["attrs"]!.AsArray().Select(attr => (string)attr!));
        Assert.Equal(table.Select(spot => spot.Id), body["entities"]!.AsArray().Select(selector => (string)selector!["id"]!));
        Assert.All(body["entities"]!.AsArray(), selector => Assert.Equal("ParkingSpot", (string)selector!["type"]!));

        Assert.Equal(table.Count, prepared.Entities.Count);
        foreach (var spot in prepared.Entities)
        {
            if (held.TryGetValue(spot.Id, out var status))
            {
                Assert.False(spot.Body.ContainsKey("status"));
                Assert.True(JsonNode.DeepEquals(status, spot.KeptByBroker!["status"]));
            }
            else
            {
                Assert.Equal("unknown", (string)spot.Body["status"]!["value"]!);
                Assert.Null(spot.KeptByBroker);
            }
            Assert.True(SmartDataModelValidator.Shared.Validate(spot.DataModel, spot.AsStored()).IsValid, spot.Id);
        }
    }

    [Fact]
    public async Task Only_the_spots_the_adapter_has_not_seen_are_asked_for()
    {
        var seen = Translate(Status).Take(5).ToList();
        aggregator.Observe(seen);
        BrokerHolds(_ => null);

        var prepared = await unobserved.PrepareAsync(Translate(Table), default);

        var body = JsonNode.Parse(Assert.Single(broker.Queries).Body)!["entities"]!.AsArray();
        Assert.Equal(50, body.Count);
        Assert.DoesNotContain(body, selector => seen.Any(spot => spot.Id == (string)selector!["id"]!));
        Assert.Equal(5, prepared.Entities.Count(spot => spot.Body["status"]!["observedAt"] is not null));
        Assert.Equal(50, prepared.Entities.Count(spot => (string)spot.Body["status"]!["value"]! == "unknown"));
    }

    [Fact]
    public async Task A_tenant_that_does_not_exist_yet_holds_no_status_so_the_spots_are_unknown()
    {
        broker.Answer = (_, _) => FakeBroker.Json(HttpStatusCode.NotFound, """{"type":"https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant","title":"Tenant does not exist"}""");

        var prepared = await unobserved.PrepareAsync(Translate(Table), default);

        Assert.Empty(prepared.HeldBack);
        Assert.All(prepared.Entities, spot => Assert.Equal("unknown", (string)spot.Body["status"]!["value"]!));
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "still answers 503")]
    [InlineData(HttpStatusCode.BadRequest, "the broker refused the query: 400")]
    [InlineData(HttpStatusCode.NotFound, "the broker refused the query: 404")]
    public async Task When_the_broker_cannot_be_read_the_spots_it_may_hold_are_held_back_and_the_rest_is_sent(HttpStatusCode answer, string reason)
    {
        var seen = Translate(Status).Take(1).ToList();
        aggregator.Observe(seen);
        broker.Answer = (_, _) => FakeBroker.Json(answer, """{"title":"no"}""");

        var prepared = await unobserved.PrepareAsync(Translate(Table), default);

        Assert.Equal(seen[0].Id, Assert.Single(prepared.Entities).Id);
        Assert.Equal(54, prepared.HeldBack.Count);
        Assert.DoesNotContain(prepared.HeldBack, entity => entity.EntityId == seen[0].Id);
        Assert.All(prepared.HeldBack, entity =>
        {
            Assert.StartsWith("the status the broker holds for the spot could not be read", entity.Reason, StringComparison.Ordinal);
            Assert.Contains(reason, entity.Reason, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Entities_of_a_status_publication_pass_unchanged_without_a_query()
    {
        var status = Translate(Status);

        var prepared = await unobserved.PrepareAsync(status, default);

        Assert.Equal(status, prepared.Entities);
        Assert.Empty(broker.Requests);
    }
}
