using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Parking;

/// <summary>Reading the fields of the parking JSON feeds, each failure a <see cref="MalformedSourceException"/> naming the format and field.</summary>
internal static class JsonFields
{
    /// <summary>The records of a document (an array of record objects, or one record object), each with its place for messages and its id.</summary>
    public static IEnumerable<(string At, JsonObject Record, string Id)> Records(string json, string format) =>
        Parse(json, format).Select((node, i) =>
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{format} [{i}]");
            var record = Record(node, at);
            return (at, record, Id(record, at));
        });

    private static JsonArray Parse(string json, string format)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new MalformedSourceException($"{format}: not valid JSON ({e.Message})", e);
        }
        return node switch
        {
            JsonArray array => array,
            JsonObject single => [single.DeepClone()],
            _ => throw new MalformedSourceException($"{format}: expected an array of records or one record object"),
        };
    }

    public static JsonObject Record(JsonNode? node, string at) =>
        node as JsonObject ?? throw new MalformedSourceException($"{at}: not an object");

    public static string Id(JsonObject record, string at) => record["id"] switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) => text.Trim(),
        JsonValue value when value.TryGetValue<long>(out var number) => number.ToString(CultureInfo.InvariantCulture),
        null => throw new MalformedSourceException($"{at}.id is missing"),
        _ => throw new MalformedSourceException($"{at}.id is not a string or an integer"),
    };

    public static int? Count(JsonObject record, string name, string at) => record[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<int>(out var count) => ParkingEntities.Count(count, $"{at}.{name}"),
        _ => throw new MalformedSourceException($"{at}.{name} is not an integer"),
    };

    public static bool? Boolean(JsonObject record, string name, string at) => record[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        _ => throw new MalformedSourceException($"{at}.{name} is not true or false"),
    };

    public static double? Number(JsonObject record, string name, string at) => record[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<double>(out var number) => number,
        _ => throw new MalformedSourceException($"{at}.{name} is not a number"),
    };

    public static string? Text(JsonObject record, string name, string at) => record[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw new MalformedSourceException($"{at}.{name} is not a string"),
    };
}
