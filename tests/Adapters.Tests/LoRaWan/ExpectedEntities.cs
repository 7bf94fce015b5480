using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core;
using Xunit;

namespace Adapters.Tests.LoRaWan;

/// <summary>
/// Entities compared with a file of Expected/LoRaWan: a JSON array of {"dataModel", "entity"}. A missing file is written
/// from what was translated (in the source tree) and the test fails, so that a new expectation is read before it counts.
/// </summary>
internal static class ExpectedEntities
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonArray ToJson(IReadOnlyList<AdapterEntity> entities) =>
        new(entities.Select(e => (JsonNode)new JsonObject { ["dataModel"] = e.DataModel, ["entity"] = e.Body.DeepClone() }).ToArray());

    public static void AssertMatches(string name, IReadOnlyList<AdapterEntity> entities, [CallerFilePath] string caller = "")
    {
        var actual = ToJson(entities);
        var path = Path.Combine(AppContext.BaseDirectory, "Expected", "LoRaWan", name + ".json");
        if (!File.Exists(path))
        {
            var source = Path.Combine(Path.GetDirectoryName(caller)!, "..", "Expected", "LoRaWan", name + ".json");
            Directory.CreateDirectory(Path.GetDirectoryName(source)!);
            File.WriteAllText(source, actual.ToJsonString(Indented) + "\n");
            Assert.Fail($"Expected/LoRaWan/{name}.json did not exist; it is written from this translation: read it, then run again.");
        }
        var expected = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.True(JsonNode.DeepEquals(expected, actual),
            $"Expected/LoRaWan/{name}.json differs from the translation.\nexpected:\n{expected.ToJsonString(Indented)}\nactual:\n{actual.ToJsonString(Indented)}");
    }
}
