using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Traffic;

namespace Adapters.Tests.Traffic;

internal static class TrafficTestMapping
{
    public static string File { get; } = Path.Combine(AppContext.BaseDirectory, "Traffic", "traffic-mapping.json");

    /// <summary>The test deployment's traffic section: the Jena controller of the signal samples and the counters of the count sample.</summary>
    public static TrafficMapping Create() =>
        JsonNode.Parse(System.IO.File.ReadAllText(File))!["traffic"].Deserialize<TrafficMapping>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
}
