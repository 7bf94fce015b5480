using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Parking;

namespace Adapters.Tests.Parking;

internal static class TestMappings
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string ParkingFile { get; } = Path.Combine(AppContext.BaseDirectory, "Parking", "parking-mapping.json");

    /// <summary>The test deployment's parking section: every site and spot of the samples.</summary>
    public static ParkingMapping Parking() =>
        JsonNode.Parse(File.ReadAllText(ParkingFile))!["parking"].Deserialize<ParkingMapping>(Options)!;
}
