using System.Text.Json.Nodes;
using OpenDataPortal;
using OpenDataPortal.Publishing;
using Xunit;

namespace Samples.Tests;

/// <summary>The catalog holds the last Portal:HistoryDays days of history, today included, and drops older days as time passes.</summary>
public sealed class HistoryWindowTests
{
    private static readonly DateOnly Today = new(2026, 12, 10);

    private readonly FrozenTime _clock = new(new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero));

    private DatasetCatalog Catalog(int historyDays) =>
        new(DatasetDefinition.Defaults(), new Redaction([]), PortalFiles.Berlin, _clock, historyDays);

    /// <summary>A temporal representation of one parking house with an observation at noon (Berlin) of each day.</summary>
    private static JsonObject ObservedOn(params DateOnly[] days)
    {
        var instances = new JsonArray();
        foreach (var day in days)
            instances.Add(new JsonObject { ["type"] = "Property", ["value"] = day.Day, ["observedAt"] = $"{day:yyyy-MM-dd}T11:00:00Z" });
        return new JsonObject { ["id"] = "urn:ngsi-ld:OffStreetParking:p", ["type"] = "OffStreetParking", ["availableSpotNumber"] = instances };
    }

    [Fact]
    public void Observations_of_days_before_the_window_are_not_kept()
    {
        var catalog = Catalog(historyDays: 2);
        catalog.AddHistory([ObservedOn(Today.AddDays(-3), Today.AddDays(-2), Today.AddDays(-1), Today)]);
        Assert.Equal(Today.AddDays(-1), catalog.HeldSince);
        Assert.Equal([Today.AddDays(-1), Today], catalog.Days("parking"));
        Assert.Empty(catalog.History("parking", Today.AddDays(-2)));
    }

    [Fact]
    public void A_day_leaves_the_catalog_when_it_falls_out_of_the_window()
    {
        var catalog = Catalog(historyDays: 3);
        catalog.AddHistory([ObservedOn(Today.AddDays(-2), Today.AddDays(-1), Today)]);
        Assert.Equal([Today.AddDays(-2), Today.AddDays(-1), Today], catalog.Days("parking"));

        _clock.Now = _clock.Now.AddDays(1);
        Assert.Equal([Today.AddDays(-1), Today], catalog.Days("parking"));

        _clock.Now = _clock.Now.AddDays(1);
        Assert.Empty(catalog.History("parking", Today.AddDays(-1)));
        Assert.Single(catalog.History("parking", Today));
        Assert.Equal([Today], catalog.Days("parking"));
    }

    [Fact]
    public void The_current_state_stays_when_its_observations_are_older_than_the_window()
    {
        var catalog = Catalog(historyDays: 1);
        var entity = ObservedOn(Today.AddDays(-5));
        entity["availableSpotNumber"] = entity["availableSpotNumber"]![0]!.DeepClone();
        catalog.Apply([entity], _clock.Now);
        Assert.Single(catalog.Current("parking"));
        Assert.Empty(catalog.Days("parking"));
    }

    [Fact]
    public void The_days_of_a_past_answer_are_redacted_and_of_the_dataset_only()
    {
        var catalog = new DatasetCatalog(DatasetDefinition.Defaults(), new Redaction(["owner"]), PortalFiles.Berlin, _clock, historyDays: 1);
        var parking = ObservedOn(Today.AddDays(-20), Today.AddDays(-19));
        parking["owner"] = new JsonArray(new JsonObject { ["type"] = "Property", ["value"] = "Erika Mustermann", ["observedAt"] = $"{Today.AddDays(-20):yyyy-MM-dd}T11:00:00Z" });
        var weather = new JsonObject
        {
            ["id"] = "urn:ngsi-ld:WeatherObserved:w",
            ["type"] = "WeatherObserved",
            ["temperature"] = new JsonArray(new JsonObject { ["type"] = "Property", ["value"] = 3, ["observedAt"] = $"{Today.AddDays(-20):yyyy-MM-dd}T11:00:00Z" }),
        };
        var rows = catalog.ObservationsOf("parking", Today.AddDays(-20), [parking, weather, parking]);
        var row = Assert.Single(rows);
        Assert.Equal(("urn:ngsi-ld:OffStreetParking:p", "availableSpotNumber", Today.AddDays(-20).Day.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (row.EntityId, row.Attribute, row.Value));
        Assert.Empty(catalog.Days("parking"));
    }
}
