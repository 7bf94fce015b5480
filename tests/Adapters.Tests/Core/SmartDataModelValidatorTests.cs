using System.Text.Json.Nodes;
using Ontology.SmartDataModels;
using Xunit;

namespace Adapters.Tests.Core;

public sealed class SmartDataModelValidatorTests
{
    private static readonly string Examples = Path.Combine(AppContext.BaseDirectory, "SmartDataModels");

    private static readonly SmartDataModelValidator Validator = SmartDataModelValidator.Shared;

    /// <summary>
    /// Examples the Smart Data Models publish although they break their own schema (checked by hand): the failing
    /// paths are expected exactly, so a new error, or one fixed upstream, makes the test fail.
    /// </summary>
    private static readonly Dictionary<string, string[]> UpstreamDiscrepancies = new()
    {
        // "2016-03-15T11:00:00" has no offset (RFC 3339), 186 exceeds the schema's maximum of 180, 73.3 is not an integer.
        ["dataModel.Environment/AirQualityObserved/example-normalized.jsonld"] = ["/dateObserved", "/tsp", "/windDirection"],
        ["dataModel.Environment/AirQualityObserved/example.jsonld"] = ["/dateObserved"],
        // "onstreet" is not in the enum (onStreet); requiredPermit and permitActiveHours are strings where the schema wants an array and an object.
        ["dataModel.Parking/ParkingGroup/example-normalized.jsonld"] = ["/category/0", "/permitActiveHours", "/requiredPermit"],
    };

    /// <summary>Every example of the Smart Data Models copied in src/Ontology/SmartDataModels: (data model, type, file).</summary>
    public static TheoryData<string, string, string> SmartDataModelExamples()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var file in Directory.EnumerateFiles(Examples, "*.jsonld", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var typeFolder = Path.GetDirectoryName(Path.GetDirectoryName(file))!;
            data.Add(Path.GetFileName(Path.GetDirectoryName(typeFolder))!, Path.GetFileName(typeFolder), Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SmartDataModelExamples))]
    public void Every_Smart_Data_Models_example_validates_against_its_schema(string dataModel, string type, string file)
    {
        var example = ReadExample(dataModel, type, file);
        Assert.Equal(type, (string?)example["type"]);

        var result = file.Contains("normalized", StringComparison.Ordinal)
            ? Validator.Validate(dataModel, example)
            : Validator.ValidateKeyValues(dataModel, example);

        if (UpstreamDiscrepancies.TryGetValue($"{dataModel}/{type}/{file}", out var expectedPaths))
            Assert.Equal(expectedPaths, result.Errors.Select(e => e.InstancePath).Distinct().Order(StringComparer.Ordinal));
        else
            Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void The_examples_cover_every_schema_and_both_forms()
    {
        var covered = SmartDataModelExamples().Select(row => ((string)row[0], (string)row[1], (string)row[2])).ToHashSet();
        foreach (var (dataModel, type) in Validator.Types.Where(t => !IsProjectModel(t.DataModel)))
        {
            Assert.Contains((dataModel, type, "example.jsonld"), covered);
            Assert.Contains((dataModel, type, "example-normalized.jsonld"), covered);
        }
    }

    [Fact]
    public void A_value_outside_the_schema_names_the_attribute()
    {
        var spot = ReadExample("dataModel.Parking", "ParkingSpot", "example-normalized.jsonld");
        spot["status"]!["value"] = "parked";

        var result = Validator.Validate("dataModel.Parking", spot);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.InstancePath == "/status");
        Assert.DoesNotContain(result.Errors, e => e.InstancePath is not "/status" and not "");
    }

    [Fact]
    public void A_missing_required_attribute_is_reported()
    {
        var spot = ReadExample("dataModel.Parking", "ParkingSpot", "example-normalized.jsonld");
        spot.Remove("refParkingSite");

        var result = Validator.Validate("dataModel.Parking", spot);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Message.Contains("refParkingSite", StringComparison.Ordinal));
    }

    [Fact]
    public void A_date_time_that_is_not_one_fails_its_format()
    {
        var observed = ReadExample("dataModel.Environment", "AirQualityObserved", "example-normalized.jsonld");
        observed["dateObserved"] = new JsonObject { ["type"] = "Property", ["value"] = "yesterday at noon" };

        var result = Validator.Validate("dataModel.Environment", observed);

        Assert.Contains(result.Errors, e => e.InstancePath == "/dateObserved");
    }

    [Fact]
    public void A_relationship_is_validated_by_its_object()
    {
        var spot = ReadExample("dataModel.Parking", "ParkingSpot", "example-normalized.jsonld");
        spot["refParkingSite"] = new JsonObject { ["type"] = "Relationship", ["object"] = "" };

        var result = Validator.Validate("dataModel.Parking", spot);

        Assert.Contains(result.Errors, e => e.InstancePath == "/refParkingSite");
    }

    [Fact]
    public void A_type_without_a_schema_is_an_error()
    {
        var entity = new JsonObject { ["id"] = "urn:ngsi-ld:Spaceship:1", ["type"] = "Spaceship" };

        var result = Validator.Validate("dataModel.Parking", entity);

        var error = Assert.Single(result.Errors);
        Assert.Equal("/type", error.InstancePath);
        Assert.Contains("Spaceship", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_known_type_in_the_wrong_data_model_is_an_error()
    {
        var spot = ReadExample("dataModel.Parking", "ParkingSpot", "example-normalized.jsonld");

        Assert.False(Validator.Validate("dataModel.Weather", spot).IsValid);
    }

    [Fact]
    public void The_keyValues_form_takes_each_attribute_s_value_object_or_language_map()
    {
        var normalized = JsonNode.Parse("""
            {
              "id": "urn:ngsi-ld:Museum:1", "type": "Museum",
              "name": { "type": "Property", "value": "St. Annen", "observedAt": "2024-01-01T00:00:00Z" },
              "dateModified": { "type": "Property", "value": { "@type": "DateTime", "@value": "2024-01-01T00:00:00Z" } },
              "refOwner": { "type": "Relationship", "object": "urn:ngsi-ld:Organization:luebeck" },
              "location": { "type": "GeoProperty", "value": { "type": "Point", "coordinates": [10.69, 53.86] } },
              "description": { "type": "LanguageProperty", "languageMap": { "de": "Museum", "en": "museum" } },
              "capacity": [ { "type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:a" }, { "type": "Property", "value": 1 } ],
              "@context": "https://example.org/context.jsonld"
            }
            """)!.AsObject();
        var expected = JsonNode.Parse("""
            {
              "id": "urn:ngsi-ld:Museum:1", "type": "Museum",
              "name": "St. Annen",
              "dateModified": "2024-01-01T00:00:00Z",
              "refOwner": "urn:ngsi-ld:Organization:luebeck",
              "location": { "type": "Point", "coordinates": [10.69, 53.86] },
              "description": { "de": "Museum", "en": "museum" },
              "capacity": 1
            }
            """);

        var keyValues = KeyValuesForm.Of(normalized);

        Assert.True(JsonNode.DeepEquals(expected, keyValues), keyValues.ToJsonString());
    }

    private static bool IsProjectModel(string dataModel) =>
        SmartDataModelCatalog.Read($"{dataModel}/README.md") is not null || !Directory.Exists(Path.Combine(Examples, dataModel));

    private static JsonObject ReadExample(string dataModel, string type, string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Examples, dataModel, type, "examples", file)))!.AsObject();
}
