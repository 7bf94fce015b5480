using System.Globalization;
using System.Text.Json.Nodes;

namespace OpenDataPortal.Publishing;

/// <summary>
/// One observation of the daily history: an attribute instance with an observedAt. Instances without one (a name, a
/// capacity) describe the entity rather than observe it, so they are part of the current state only.
/// </summary>
public sealed record HistoryRow(string EntityId, string EntityType, string Attribute, string? DatasetId, string Value, string? UnitCode, DateTimeOffset ObservedAt)
{
    /// <summary>
    /// The observations an entity carries: one of a notification or the entity API (an instance per attribute and
    /// datasetId), or its temporal representation (normalized: many instances per attribute).
    /// </summary>
    public static IEnumerable<HistoryRow> FromEntity(JsonObject entity)
    {
        var id = Attributes.IdOf(entity);
        var type = Attributes.TypeOf(entity);
        foreach (var (name, instances) in Attributes.Of(entity))
        {
            foreach (var instance in instances)
            {
                if (FromInstance(id, type, name, instance) is { } row)
                    yield return row;
            }
        }
    }

    private static HistoryRow? FromInstance(string id, string type, string attribute, JsonObject instance)
    {
        if (instance["observedAt"]?.GetValue<string>() is not { } observedAt)
            return null;
        var value = Attributes.ValueOf(instance);
        if (value is JsonValue text && text.TryGetValue<string>(out var s) && s == "urn:ngsi-ld:null")
            return null;
        return new HistoryRow(id, type, attribute, instance["datasetId"]?.GetValue<string>(), Text(value), instance["unitCode"]?.GetValue<string>(),
            DateTimeOffset.Parse(observedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime());
    }

    /// <summary>A string as it is, anything else as compact JSON (numbers in invariant notation).</summary>
    private static string Text(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(),
    };

    /// <summary>Identifies an observation: the same one from a notification and from the temporal API is kept once.</summary>
    public (string, string, string?, DateTimeOffset) Key => (EntityId, Attribute, DatasetId, ObservedAt);
}
