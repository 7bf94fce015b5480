using System.Text.Json.Nodes;

namespace Adapters.Tests.Museums;

/// <summary>The paths where two JSON documents differ, for a readable assertion message.</summary>
internal static class JsonDiff
{
    public static string Describe(JsonNode? expected, JsonNode? actual)
    {
        var differences = new List<string>();
        Compare("$", expected, actual, differences);
        return string.Join('\n', differences.Take(20)) + (differences.Count > 20 ? $"\n… and {differences.Count - 20} more" : "");
    }

    private static void Compare(string path, JsonNode? expected, JsonNode? actual, List<string> differences)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var (name, value) in e)
                {
                    if (a.TryGetPropertyValue(name, out var other))
                        Compare($"{path}.{name}", value, other, differences);
                    else
                        differences.Add($"{path}.{name}: missing (expected {value?.ToJsonString()})");
                }
                foreach (var (name, value) in a)
                    if (!e.ContainsKey(name))
                        differences.Add($"{path}.{name}: not expected ({value?.ToJsonString()})");
                break;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    if (i >= e.Count)
                        differences.Add($"{path}[{i}]: not expected ({a[i]?.ToJsonString()})");
                    else if (i >= a.Count)
                        differences.Add($"{path}[{i}]: missing (expected {e[i]?.ToJsonString()})");
                    else
                        Compare($"{path}[{i}]", e[i], a[i], differences);
                }
                break;
            default:
                if (!JsonNode.DeepEquals(expected, actual))
                    differences.Add($"{path}: expected {expected?.ToJsonString() ?? "null"}, got {actual?.ToJsonString() ?? "null"}");
                break;
        }
    }
}
