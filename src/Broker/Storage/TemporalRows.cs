using System.Buffers;
using System.Text;
using System.Text.Json;
using Broker.Entities.Representation;
using Broker.Temporal;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>The columns in which both stores keep a recorded instance: its document (the stored form of the instance) and the instants queries filter on.</summary>
public static class TemporalRows
{
    private static readonly EntityReader StoredReader = new(JsonLdContext.Core, ReadMode.Stored);

    /// <summary>The stored document of one instance: the instance as a stored entity holds it (expanded names, system attributes).</summary>
    public static string Document(AttributeInstance instance)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
            EntityWriter.Stored.WriteInstance(writer, instance);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static AttributeInstance Instance(string attribute, string document)
    {
        using var json = JsonDocument.Parse(document);
        return StoredReader.ReadAttribute(attribute, json.RootElement.Clone(), attribute) is [var instance]
            ? instance
            : throw new InvalidDataException($"A recorded instance of '{attribute}' does not hold one instance.");
    }

    public static DateTimeOffset? ObservedAt(AttributeInstance instance) =>
        instance.ObservedAt is { } text && Entities.Representation.Timestamps.TryParse(text, out var at) ? at : null;

    /// <summary>The instant that places an instance in time (partitions, retention): observedAt, else modifiedAt.</summary>
    public static DateTimeOffset InstantOf(TemporalInstance instance) => ObservedAt(instance.Instance) ?? instance.Instance.ModifiedAt;

    /// <summary>The number aggregations use: a number, a boolean as 1 or 0; null for anything else.</summary>
    public static double? NumberOf(AttributeInstance instance) => TemporalQueries.NumberOf(instance.Value);

    /// <summary>A value member's JSON read back; numbers (most of what aggregations read) without a JSON parser.</summary>
    public static System.Text.Json.Nodes.JsonNode? Value(string json)
    {
        if (json.Length > 0 && (char.IsAsciiDigit(json[0]) || json[0] == '-')
            && double.TryParse(json, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
            return System.Text.Json.Nodes.JsonValue.Create(number);
        return System.Text.Json.Nodes.JsonNode.Parse(json);
    }

    public static long Microseconds(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicroseconds(long microseconds) => new(DateTimeOffset.UnixEpoch.UtcTicks + microseconds * 10, TimeSpan.Zero);
}
