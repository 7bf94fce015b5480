using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Storage.Embedded;
using Broker.Temporal;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Storage;

public sealed class CompressedStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static Entity Sensor(double intensity)
    {
        var entity = new Entity { Id = "urn:ngsi-ld:Sensor:1", Types = ["https://example.org/Sensor"], CreatedAt = Now, ModifiedAt = Now, Version = 3 };
        entity.Attributes.Put("https://example.org/intensity", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(intensity), CreatedAt = Now, ModifiedAt = Now });
        entity.Attributes.Put("https://example.org/name", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create("Sensor 1"), CreatedAt = Now, ModifiedAt = Now });
        return entity;
    }

    private static TemporalWrite WriteOf(Entity state) =>
        new(new TemporalEntity(state.Id, [.. state.Types], null, Now, Now, null), [], state);

    [Fact]
    public void A_state_decodes_to_the_document_it_was_encoded_from()
    {
        var state = Sensor(7);
        var decoded = CompressedState.Decode(CompressedState.Encode(WriteOf(state)));
        Assert.Equal(StoredEntityJson.Serialize(state), StoredEntityJson.Serialize(decoded));
    }

    [Fact]
    public void The_document_the_feed_carries_is_what_is_kept_not_the_state_serialized_again()
    {
        var carried = StoredEntityJson.SerializeUtf8(Sensor(8));
        var write = WriteOf(Sensor(7)) with { StoredState = carried };
        var decoded = CompressedState.Decode(CompressedState.Encode(write));
        Assert.Equal(8.0, (double)decoded.Attributes.Get("https://example.org/intensity")![0].Value!);
    }

    [Fact]
    public void States_kept_as_text_by_earlier_versions_are_read_and_unknown_formats_refused()
    {
        var text = StoredEntityJson.Serialize(Sensor(9));
        Assert.Equal(text, StoredEntityJson.Serialize(CompressedState.Decode(text)));
        Assert.Throws<InvalidDataException>(() => CompressedState.Decode(new byte[] { 7, 0, 0, 0, 0, 1 }));
        var truncated = CompressedState.Encode(WriteOf(Sensor(9)))[..^4];
        Assert.Throws<InvalidDataException>(() => CompressedState.Decode(truncated));
    }
}
