using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Xunit;

namespace Adapters.Tests.Parking;

/// <summary>
/// The expected parking and traffic entities are in NGSI-LD normalized form, their enumerated values are the data
/// model's, and the attributes their schema requires are there (the translations themselves are validated against
/// the schemas in <see cref="SampleValidationTests"/>).
/// </summary>
public sealed class EntityStructureTests
{
    private static readonly Dictionary<string, string[]> Required = new()
    {
        ["OffStreetParking"] = ["location"],
        ["ParkingSpot"] = ["location", "status", "category", "refParkingSite"],
        ["TrafficFlowObserved"] = ["dateObserved"],
        ["TrafficSignal"] = ["refIntersection", "signalGroup"],
    };

    public static TheoryData<string> ExpectedFiles() =>
        [.. new[] { "Parking", "Traffic" }.SelectMany(folder =>
            Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Expected", folder), "*.json").Select(f => $"{folder}/{Path.GetFileName(f)}"))];

    [Theory]
    [MemberData(nameof(ExpectedFiles))]
    public void Expected_entities_are_normalized_and_carry_what_their_schema_requires(string file)
    {
        var gaps = new SortedSet<string>();
        foreach (var item in JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Expected", file)))!.AsArray())
        {
            var entity = item!["entity"]!.AsObject();
            var type = (string)entity["type"]!;
            Assert.StartsWith($"urn:ngsi-ld:{type}:", (string)entity["id"]!);
            Assert.Null(entity["@context"]);
            foreach (var (name, attribute) in entity.Where(m => m.Key is not ("id" or "type")))
            {
                var kind = (string?)attribute?["type"];
                Assert.True(kind switch
                {
                    "Property" or "GeoProperty" => attribute!["value"] is not null,
                    "Relationship" => ((string?)attribute!["object"])?.StartsWith("urn:ngsi-ld:", StringComparison.Ordinal) == true,
                    _ => false,
                }, $"{file} {entity["id"]}.{name} is not a normalized attribute");
            }
            foreach (var name in Required[type].Where(name => !entity.ContainsKey(name)))
                gaps.Add($"{type}.{name}");
            AssertEnumerations(entity, type);
        }
        Assert.Empty(gaps);
    }

    private static void AssertEnumerations(JsonObject entity, string type)
    {
        string[] offStreetStatus = ["almostFull", "closed", "closedAbnormal", "full", "fullAtEntrance", "open", "openingTimesInForce", "spacesAvailable"];
        switch (type)
        {
            case "ParkingSpot" when entity["status"] is { } status:
                Assert.Contains((string)status["value"]!, new[] { "closed", "free", "occupied", "unknown" });
                break;
            case "OffStreetParking":
                Assert.All(entity["status"]?["value"]?.AsArray() ?? [], s => Assert.Contains((string)s!, offStreetStatus));
                if (entity["occupancy"] is { } occupancy)
                    Assert.InRange((double)occupancy["value"]!, 0, 1);
                if (entity["availableSpotNumber"] is { } available && entity["totalSpotNumber"] is { } total)
                    Assert.InRange((int)available["value"]!, 0, (int)total["value"]!);
                break;
            case "TrafficSignal" when entity["phase"] is { } phase:
                Assert.Contains((string)phase["value"]!, TrafficSignalPhases());
                break;
        }
    }

    /// <summary>The phase enumeration of the model's schema, read from the repository.</summary>
    private static string[] TrafficSignalPhases([CallerFilePath] string caller = "")
    {
        var repository = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(caller)!, "..", "..", ".."));
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(repository, "src", "Ontology", "SmartDataModels", "dataModel.LuebeckTrafficSignal", "TrafficSignal", "schema.json")))!;
        return [.. schema["allOf"]![2]!["properties"]!["phase"]!["enum"]!.AsArray().Select(v => (string)v!)];
    }
}
