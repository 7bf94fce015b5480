using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core;
using Xunit;

namespace Adapters.Tests.Parking;

/// <summary>
/// Compares translated entities with Expected/&lt;source&gt;/&lt;name&gt;.json. With UPDATE_EXPECTED=1 in the
/// environment it writes the file into the source tree instead (to be reviewed in the diff), and fails so that a
/// regeneration never passes unnoticed.
/// </summary>
internal static class ExpectedEntities
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void AssertMatches(string relativePath, IReadOnlyList<AdapterEntity> entities, [CallerFilePath] string caller = "")
    {
        var actual = new JsonArray([.. entities.Select(e => new JsonObject { ["dataModel"] = e.DataModel, ["entity"] = e.Body.DeepClone() })]);
        if (Environment.GetEnvironmentVariable("UPDATE_EXPECTED") == "1")
        {
            var testsRoot = Path.GetDirectoryName(Path.GetDirectoryName(caller))!;
            var target = Path.Combine(testsRoot, "Expected", relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, actual.ToJsonString(Indented) + "\n");
            Assert.Fail($"wrote {target}; review it and run again without UPDATE_EXPECTED");
        }

        var path = Path.Combine(AppContext.BaseDirectory, "Expected", relativePath);
        Assert.True(File.Exists(path), $"no expected file {relativePath}");
        var expected = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        Assert.True(JsonNode.DeepEquals(expected, actual), Diff(relativePath, expected, actual));
    }

    private static string Diff(string name, JsonArray expected, JsonArray actual)
    {
        var message = new StringBuilder($"{name}: the entities differ from the expected ones");
        if (expected.Count != actual.Count)
            message.Append($"; expected {expected.Count} entities, got {actual.Count}");
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            if (JsonNode.DeepEquals(expected[i], actual[i]))
                continue;
            message.Append($"\nfirst difference at [{i}]:\nexpected {expected[i]!.ToJsonString()}\nactual   {actual[i]!.ToJsonString()}");
            break;
        }
        return message.ToString();
    }
}
