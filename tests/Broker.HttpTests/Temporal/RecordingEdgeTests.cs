using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

public sealed class RecordingEdgeTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    [Fact]
    public async Task Every_entity_API_update_is_recorded_even_when_it_repeats_an_observedAt()
    {
        // Two acknowledged (and notified) changes: the history of modifications must hold both.
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("t", Property(1, T0))));
        await PatchValueAsync(id, "t", 2, T0);

        var history = await RetrieveTemporalAsync(id, "timeproperty=modifiedAt");

        Assert.Equal([1.0, 2.0], Numbers(history, "t"));
    }

    [Fact]
    public async Task TemporalValues_with_lang_gives_the_values_the_normalized_representation_gives()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("name", new JsonObject
        {
            ["type"] = "LanguageProperty",
            ["languageMap"] = new JsonObject { ["en"] = "Museum", ["de"] = "Das Museum" },
            ["observedAt"] = Iso(T0),
        })));

        var normalized = Assert.Single(Instances(await RetrieveTemporalAsync(id, "lang=en"), "name"));
        var simplified = Assert.IsType<JsonObject>((await RetrieveTemporalAsync(id, "lang=en&options=temporalValues"))["name"]);

        // Normalized: {"type":"Property","value":"Museum","lang":"en",...} (clause 4.15); the simplified form must agree.
        Assert.Equal((string?)normalized["type"], (string?)simplified["type"]);
        var member = (string?)normalized["type"] == "Property" ? "values" : "languageMaps";
        var value = Assert.Single(Assert.IsType<JsonArray>(simplified[member]))!.AsArray()[0];
        if (member == "values")
            Assert.Equal("Museum", (string?)value);
        else
            Assert.IsType<JsonObject>(value!["languageMap"]);
    }
}
