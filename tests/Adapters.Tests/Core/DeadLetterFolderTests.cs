using System.Text.Json.Nodes;
using Adapters.Core;
using Xunit;

namespace Adapters.Tests.Core;

public sealed class DeadLetterFolderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "adapters-dead-letters-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_dead_letter_is_one_json_file_with_source_time_reason_original_and_entity()
    {
        var folder = new DeadLetterFolder(_folder);
        var entity = FakeBroker.ParkingSpot("a");
        var path = await folder.WriteAsync(new DeadLetter("lorawan/chirpstack", new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero), "refused", "{}", entity), default);

        Assert.Equal([path], folder.Files());
        var letter = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal("lorawan/chirpstack", (string)letter["source"]!);
        Assert.Equal("2026-12-03T10:00:00.0000000Z", (string)letter["receivedAt"]!);
        Assert.Equal("refused", (string)letter["reason"]!);
        Assert.Equal("{}", (string)letter["original"]!);
        Assert.Equal("dataModel.Parking", (string)letter["dataModel"]!);
        Assert.True(JsonNode.DeepEquals(entity.Body, letter["entity"]));
        Assert.Empty(Directory.EnumerateFiles(_folder, "*.tmp"));
    }

    [Fact]
    public async Task Names_sort_in_the_order_written_and_never_collide_even_at_the_same_instant()
    {
        var frozen = new FrozenTime(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));
        var folder = new DeadLetterFolder(_folder, frozen);
        var other = new DeadLetterFolder(_folder, frozen);
        var written = new List<string>();
        for (var i = 0; i < 20; i++)
            written.Add(await folder.WriteAsync(new DeadLetter("test", frozen.GetUtcNow(), $"reason {i}", "x"), default));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => other.WriteAsync(new DeadLetter("test", frozen.GetUtcNow(), "concurrent", "x"), default)));

        Assert.Equal(40, folder.Files().Count());
        Assert.Equal(written, folder.Files().Where(file => JsonNode.Parse(File.ReadAllText(file))!["reason"]!.GetValue<string>() != "concurrent"));
        frozen.Now += TimeSpan.FromSeconds(1);
        var later = await folder.WriteAsync(new DeadLetter("test", frozen.GetUtcNow(), "later", "x"), default);
        Assert.Equal(later, folder.Files().Last());
    }

    private sealed class FrozenTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
