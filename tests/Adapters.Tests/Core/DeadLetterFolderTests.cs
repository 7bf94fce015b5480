using System.Text.Json.Nodes;
using Adapters.Core;
using Xunit;

namespace Adapters.Tests.Core;

public sealed class DeadLetterFolderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "dead-letters-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_path))
            Directory.Delete(_path, recursive: true);
    }

    [Fact]
    public async Task A_dead_letter_keeps_source_reason_original_and_entity()
    {
        var clock = new SettableClock { Now = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero) };
        var folder = new DeadLetterFolder(_path, clock);
        var entity = new AdapterEntity(new JsonObject { ["id"] = "urn:ngsi-ld:ParkingSpot:1", ["type"] = "ParkingSpot" }, "dataModel.Parking");

        var file = await folder.KeepAsync("parking/sensit", "<status/>", "/location: required", entity, default);

        var letter = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        Assert.Equal("parking/sensit", (string?)letter["source"]);
        Assert.Equal("/location: required", (string?)letter["reason"]);
        Assert.Equal("<status/>", (string?)letter["original"]);
        Assert.Equal("urn:ngsi-ld:ParkingSpot:1", (string?)letter["entityId"]);
        Assert.Equal("dataModel.Parking", (string?)letter["dataModel"]);
        Assert.True(JsonNode.DeepEquals(entity.Body, letter["entity"]));
        Assert.Equal("2026-12-03T10:00:00.0000000Z", (string?)letter["keptAt"]);
        Assert.Equal([file], folder.Files());
    }

    [Fact]
    public async Task A_record_without_entity_is_kept_too()
    {
        var folder = new DeadLetterFolder(_path, TimeProvider.System);
        var file = await folder.KeepAsync("lorawan/chirpstack", "{", "ChirpStack up event: not JSON", null, default);
        var letter = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        Assert.Null(letter["entity"]);
        Assert.Equal("{", (string?)letter["original"]);
    }

    [Fact]
    public async Task Letters_kept_at_once_never_collide_and_sort_by_time()
    {
        var clock = new SettableClock { Now = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero) };
        var folder = new DeadLetterFolder(_path, clock);
        var files = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => folder.KeepAsync("a/b", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "r", null, default)));
        clock.Now += TimeSpan.FromSeconds(1);
        var later = await folder.KeepAsync("a/b", "later", "r", null, default);

        Assert.Equal(51, folder.Files().Count);
        Assert.Equal(50, files.Distinct().Count());
        Assert.Equal(later, folder.Files()[^1]);
        Assert.Empty(Directory.EnumerateFiles(_path, "*.tmp"));
    }
}

internal sealed class SettableClock : TimeProvider
{
    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;
}
