using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Storage;
using Ontology.Model;

namespace Broker.Temporal;

/// <summary>The temporal representations of an entity (clauses 4.5.6–4.5.9, 4.5.19): normalized, temporalValues, aggregatedValues.</summary>
public enum TemporalFormat
{
    Normalized,
    TemporalValues,
    AggregatedValues,
}

/// <summary>
/// Writes entity histories: the entity's id, type and scope, and per attribute its instances (normalized: each with its
/// instanceId, a deleted one as the NGSI-LD Null of its kind with deletedAt), its values with their instants
/// (temporalValues), or its aggregates per method (aggregatedValues), one object per datasetId in the last two.
/// </summary>
public sealed class TemporalWriter(EntityWriter instances, TemporalFormat format, bool sysAttrs, TimeProperty timeProperty, AttributeProjection projection)
{
    public const string NgsiLdNull = "urn:ngsi-ld:null";

    public void WriteEntity(Utf8JsonWriter writer, EntityHistory history, Action<Utf8JsonWriter>? writeContext = null)
    {
        var entity = history.Entity;
        writer.WriteStartObject();
        if (projection.ShowsIdMember)
            writer.WriteString("id"u8, entity.Id);
        if (projection.ShowsType)
        {
            writer.WritePropertyName("type"u8);
            if (entity.Types.Count == 1)
            {
                writer.WriteStringValue(instances.Compact(entity.Types[0]));
            }
            else
            {
                writer.WriteStartArray();
                foreach (var type in entity.Types)
                    writer.WriteStringValue(instances.Compact(type));
                writer.WriteEndArray();
            }
        }
        if (entity.Scopes is { } scopes && projection.Shows(NgsiLd.Scope))
        {
            writer.WritePropertyName("scope"u8);
            writer.WriteStartArray();
            foreach (var scope in scopes)
                writer.WriteStringValue(scope);
            writer.WriteEndArray();
        }
        if (sysAttrs)
        {
            writer.WriteString("createdAt"u8, Timestamps.Format6(entity.CreatedAt));
            writer.WriteString("modifiedAt"u8, Timestamps.Format6(entity.ModifiedAt));
            if (entity.DeletedAt is { } deletedAt)
                writer.WriteString("deletedAt"u8, Timestamps.Format6(deletedAt));
        }
        foreach (var attribute in history.Attributes)
        {
            // An attribute without instances is shown only when pagination emptied it (its instances are on the next page).
            if (attribute.Instances.Count == 0 && attribute.Aggregates is not { Count: > 0 } && !attribute.Truncated || !projection.Shows(attribute.Name))
                continue;
            writer.WritePropertyName(instances.Compact(attribute.Name));
            switch (format)
            {
                case TemporalFormat.TemporalValues:
                    WriteTemporalValues(writer, attribute);
                    break;
                case TemporalFormat.AggregatedValues:
                    WriteAggregates(writer, attribute);
                    break;
                default:
                    WriteInstances(writer, attribute);
                    break;
            }
        }
        writeContext?.Invoke(writer);
        writer.WriteEndObject();
    }

    private void WriteInstances(Utf8JsonWriter writer, AttributeHistory attribute)
    {
        writer.WriteStartArray();
        foreach (var recorded in attribute.Instances)
        {
            var instance = recorded.DeletedAt is null ? recorded.Instance : NullOf(recorded.Instance);
            instances.WriteInstance(writer, instance, extra =>
            {
                extra.WriteString("instanceId"u8, recorded.InstanceId);
                if (recorded.DeletedAt is { } deletedAt)
                    extra.WriteString("deletedAt"u8, Timestamps.Format6(deletedAt));
            });
        }
        writer.WriteEndArray();
    }

    /// <summary>A deleted instance as the NGSI-LD Null of its kind (clause 5.2.1), keeping its datasetId and instants.</summary>
    private static AttributeInstance NullOf(AttributeInstance deleted) => new()
    {
        Kind = deleted.Kind,
        Value = deleted.Kind switch
        {
            AttributeKind.LanguageProperty => new JsonObject { ["@none"] = NgsiLdNull },
            AttributeKind.ListProperty or AttributeKind.ListRelationship => new JsonArray(NgsiLdNull),
            _ => JsonValue.Create(NgsiLdNull),
        },
        DatasetId = deleted.DatasetId,
        ObservedAt = deleted.ObservedAt,
        CreatedAt = deleted.CreatedAt,
        ModifiedAt = deleted.ModifiedAt,
    };

    /// <summary>The member that holds the values of a kind in the simplified temporal representation (clause 4.5.9).</summary>
    public static string ValuesMember(AttributeKind kind) => kind switch
    {
        AttributeKind.Relationship => "objects",
        AttributeKind.LanguageProperty => "languageMaps",
        AttributeKind.VocabProperty => "vocabs",
        AttributeKind.ListProperty => "valueLists",
        AttributeKind.ListRelationship => "objectLists",
        AttributeKind.JsonProperty => "jsons",
        _ => "values",
    };

    private void WriteTemporalValues(Utf8JsonWriter writer, AttributeHistory attribute)
    {
        if (attribute.Instances.Count == 0)
        {
            var kind = attribute.Kind ?? AttributeKind.Property;
            writer.WriteStartObject();
            writer.WriteString("type"u8, kind.TypeName());
            writer.WriteStartArray(ValuesMember(kind));
            writer.WriteEndArray();
            writer.WriteEndObject();
            return;
        }
        var series = attribute.Instances.GroupBy(i => i.Instance.DatasetId).ToList();
        if (series.Count > 1)
            writer.WriteStartArray();
        foreach (var group in series)
        {
            var kind = group.First().Instance.Kind;
            if (kind == AttributeKind.LanguageProperty && instances.SelectsLanguage)
                kind = AttributeKind.Property;
            writer.WriteStartObject();
            writer.WriteString("type"u8, kind.TypeName());
            if (group.Key is { } datasetId)
                writer.WriteString("datasetId"u8, datasetId);
            writer.WriteStartArray(ValuesMember(kind));
            // The kinds whose value alone would be ambiguous keep their member (clause 4.5.9): {"languageMap": ...}, {"vocab": ...}, {"json": ...}.
            var wrapped = kind is AttributeKind.LanguageProperty or AttributeKind.VocabProperty or AttributeKind.JsonProperty;
            foreach (var recorded in group)
            {
                writer.WriteStartArray();
                if (wrapped)
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName(kind.ValueMember());
                }
                instances.WriteValue(writer, recorded.DeletedAt is null ? recorded.Instance : NullOf(recorded.Instance));
                if (wrapped)
                    writer.WriteEndObject();
                // observedAt as the client gave it (as the normalized representation shows it), the system instants as the broker writes them.
                if (timeProperty == TimeProperty.ObservedAt && recorded.Instance.ObservedAt is { } observedAt)
                    writer.WriteStringValue(observedAt);
                else
                    writer.WriteStringValue(recorded.TimeOf(timeProperty) is { } at ? Timestamps.FormatMinimal(at) : null);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        if (series.Count > 1)
            writer.WriteEndArray();
    }

    private static void WriteAggregates(Utf8JsonWriter writer, AttributeHistory attribute)
    {
        var series = attribute.Aggregates!.GroupBy(a => a.DatasetId).ToList();
        if (series.Count > 1)
            writer.WriteStartArray();
        foreach (var group in series)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, (attribute.Kind ?? AttributeKind.Property).TypeName());
            if (group.Key is { } datasetId)
                writer.WriteString("datasetId"u8, datasetId);
            foreach (var aggregate in group)
            {
                writer.WriteStartArray(AggregationMethods.Name(aggregate.Method));
                foreach (var value in aggregate.Values)
                {
                    writer.WriteStartArray();
                    WriteAggregateValue(writer, value.Value);
                    writer.WriteStringValue(Timestamps.FormatMinimal(value.StartAt));
                    writer.WriteStringValue(Timestamps.FormatMinimal(value.EndAt));
                    writer.WriteEndArray();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        if (series.Count > 1)
            writer.WriteEndArray();
    }

    /// <summary>Counts as integers; the numeric aggregates as JSON numbers with a fraction (100.0): they are real numbers even when whole.</summary>
    private static void WriteAggregateValue(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is JsonValue number && number.TryGetValue<double>(out var real) && number.GetValueKind() == JsonValueKind.Number && !number.TryGetValue<long>(out _))
        {
            if (double.IsFinite(real) && real == Math.Floor(real) && Math.Abs(real) < 1e15)
                writer.WriteRawValue(((long)real).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".0");
            else
                writer.WriteNumberValue(real);
            return;
        }
        if (value is null)
            writer.WriteNullValue();
        else
            value.WriteTo(writer);
    }
}

public static class AggregationMethods
{
    public static string Name(AggregationMethod method) => method switch
    {
        AggregationMethod.TotalCount => "totalCount",
        AggregationMethod.DistinctCount => "distinctCount",
        AggregationMethod.Sum => "sum",
        AggregationMethod.Avg => "avg",
        AggregationMethod.Min => "min",
        AggregationMethod.Max => "max",
        AggregationMethod.StdDev => "stddev",
        AggregationMethod.SumSq => "sumsq",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    public static bool TryParse(string name, out AggregationMethod method)
    {
        foreach (var candidate in Enum.GetValues<AggregationMethod>())
        {
            if (Name(candidate) == name)
            {
                method = candidate;
                return true;
            }
        }
        method = default;
        return false;
    }
}
