using Adapters.Core;
using Adapters.Parking;
using Xunit;

namespace Adapters.Tests.Parking;

public sealed class ParkingSiteAggregatorTests
{
    private const string Site = "urn:ngsi-ld:OffStreetParking:holstentor";

    private readonly ParkingMapping mapping = new()
    {
        Sites = [new() { SourceId = "holstentor", EntityId = Site, Name = "Holstentor", Longitude = 10.6797, Latitude = 53.8664 }],
        Spots =
        [
            new() { SourceId = "s1", EntityId = "urn:ngsi-ld:ParkingSpot:s1", Site = "holstentor" },
            new() { SourceId = "s2", EntityId = "urn:ngsi-ld:ParkingSpot:s2", Site = "holstentor" },
            new() { SourceId = "s3", EntityId = "urn:ngsi-ld:ParkingSpot:s3", Site = "holstentor" },
        ],
    };

    [Fact]
    public void The_site_counts_the_latest_state_of_each_of_its_spots()
    {
        var aggregator = new ParkingSiteAggregator(mapping);
        var site = Assert.Single(aggregator.Observe(Readings(("s1", false, "10:00"), ("s2", true, "10:01"), ("s3", false, "10:02"))));

        Assert.Equal(Site, site.Id);
        Assert.Equal("OffStreetParking", site.Type);
        AssertCounts(site, total: 3, available: 2, occupied: 1, observedAt: "2025-04-11T10:02:00.000Z");
        Assert.Equal("Holstentor", (string)site.Body["name"]!["value"]!);
        Assert.NotNull(site.Body["location"]);
    }

    [Fact]
    public void A_spot_that_changes_updates_its_site()
    {
        var aggregator = new ParkingSiteAggregator(mapping);
        aggregator.Observe(Readings(("s1", false, "10:00"), ("s2", false, "10:00"), ("s3", false, "10:00")));

        var site = Assert.Single(aggregator.Observe(Readings(("s2", true, "10:05"))));

        AssertCounts(site, total: 3, available: 2, occupied: 1, observedAt: "2025-04-11T10:05:00.000Z");
    }

    [Fact]
    public void A_duplicate_reading_changes_nothing()
    {
        var aggregator = new ParkingSiteAggregator(mapping);
        aggregator.Observe(Readings(("s1", true, "10:00")));

        Assert.Empty(aggregator.Observe(Readings(("s1", true, "10:00"))));
        Assert.Empty(aggregator.Observe(Readings(("s1", true, "10:07"))));
    }

    [Fact]
    public void A_late_older_reading_does_not_win()
    {
        var aggregator = new ParkingSiteAggregator(mapping);
        aggregator.Observe(Readings(("s1", true, "10:05")));

        Assert.Empty(aggregator.Observe(Readings(("s1", false, "10:01"))));

        var site = Assert.Single(aggregator.Observe(Readings(("s2", false, "10:06"))));
        AssertCounts(site, total: 3, available: 1, occupied: 1, observedAt: "2025-04-11T10:06:00.000Z");
    }

    [Fact]
    public void Readings_in_any_order_end_in_the_same_counts()
    {
        var readings = Readings(("s1", true, "10:00"), ("s1", false, "10:03"), ("s2", true, "10:01"), ("s2", false, "10:02"), ("s3", true, "10:04"));
        var forward = new ParkingSiteAggregator(mapping);
        var backward = new ParkingSiteAggregator(mapping);

        var forwardLast = readings.Select(r => forward.Observe([r])).Last(u => u.Count > 0).Single();
        var backwardLast = Enumerable.Reverse(readings).Select(r => backward.Observe([r])).Last(u => u.Count > 0).Single();

        AssertCounts(forwardLast, total: 3, available: 2, occupied: 1, observedAt: "2025-04-11T10:04:00.000Z");
        AssertCounts(backwardLast, total: 3, available: 2, occupied: 1, observedAt: "2025-04-11T10:04:00.000Z");
    }

    [Fact]
    public void The_sample_spot_feed_fills_its_site_with_its_counts()
    {
        var testMapping = TestMappings.Parking();
        var spots = SensorFeedTranslation.Translate(ReferenceData.ReadSourceFormat("parking/sensor-feeds/ulm-realtime-parking-spots.json"), testMapping);

        var site = Assert.Single(new ParkingSiteAggregator(testMapping).Observe(spots));

        var free = spots.Count(s => (string)s.Body["status"]!["value"]! == "free");
        Assert.Equal("urn:ngsi-ld:OffStreetParking:ulm-parkhaus-b", site.Id);
        Assert.Equal(spots.Count, (int)site.Body["totalSpotNumber"]!["value"]!);
        Assert.Equal(free, (int)site.Body["availableSpotNumber"]!["value"]!);
        Assert.Equal(spots.Count - free, (int)site.Body["occupiedSpotNumber"]!["value"]!);
    }

    private static void AssertCounts(AdapterEntity site, int total, int available, int occupied, string observedAt)
    {
        Assert.Equal(total, (int)site.Body["totalSpotNumber"]!["value"]!);
        Assert.Equal(available, (int)site.Body["availableSpotNumber"]!["value"]!);
        Assert.Equal(occupied, (int)site.Body["occupiedSpotNumber"]!["value"]!);
        Assert.Equal(Math.Round((double)occupied / total, 4), (double)site.Body["occupancy"]!["value"]!);
        Assert.Equal(observedAt, (string)site.Body["availableSpotNumber"]!["observedAt"]!);
    }

    private List<AdapterEntity> Readings(params (string Spot, bool Occupied, string Time)[] readings) =>
        [.. SensorFeedTranslation.Translate(
            "[" + string.Join(",", readings.Select(r => $$"""{"id":"{{r.Spot}}","occupied":{{(r.Occupied ? "true" : "false")}},"timestamp":"2025-04-11T{{r.Time}}:00Z"}""")) + "]",
            mapping)];
}
