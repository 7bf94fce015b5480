using Broker.Temporal;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>The columns in which both stores keep a recorded instance: its document (the stored form of the instance) and the instants queries filter on.</summary>
public static class TemporalRows
{
    /// <summary>The stored document of one instance: a stored entity without id holding only this attribute instance.</summary>
    public static string Document(string attribute, AttributeInstance instance)
    {
        var holder = new Entity { Id = "" };
        holder.Attributes.Set(attribute, [instance]);
        return StoredEntityJson.Serialize(holder);
    }

    public static AttributeInstance Instance(string attribute, string document) =>
        StoredEntityJson.Deserialize(document).Attributes.Get(attribute) is [var instance, ..]
            ? instance
            : throw new InvalidDataException($"A recorded instance of '{attribute}' has no instance in its document.");

    public static DateTimeOffset? ObservedAt(AttributeInstance instance) =>
        instance.ObservedAt is { } text && Entities.Representation.Timestamps.TryParse(text, out var at) ? at : null;

    /// <summary>The instant that places an instance in time (partitions, retention): observedAt, else modifiedAt.</summary>
    public static DateTimeOffset InstantOf(TemporalInstance instance) => ObservedAt(instance.Instance) ?? instance.Instance.ModifiedAt;

    /// <summary>The number aggregations use: a number, a boolean as 1 or 0; null for anything else.</summary>
    public static double? NumberOf(AttributeInstance instance) => TemporalQueries.NumberOf(instance.Value);

    public static long Microseconds(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicroseconds(long microseconds) => new(DateTimeOffset.UnixEpoch.UtcTicks + microseconds * 10, TimeSpan.Zero);
}
