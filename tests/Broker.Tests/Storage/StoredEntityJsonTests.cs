using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Storage;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Storage;

public sealed class StoredEntityJsonTests
{
    [Fact]
    public void Every_top_level_member_of_the_stored_form_is_an_attribute_or_a_listed_non_attribute_member()
    {
        var now = new DateTimeOffset(2026, 11, 22, 6, 0, 0, TimeSpan.Zero);
        var entity = new Entity { Id = "urn:ngsi-ld:Thing:1", Types = ["https://example.org/Thing"], Scopes = ["/Lübeck/Altstadt"], CreatedAt = now, ModifiedAt = now, Version = 4 };
        entity.Attributes.Put("https://example.org/temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(20.5), CreatedAt = now, ModifiedAt = now });

        var stored = JsonDocument.Parse(StoredEntityJson.SerializeUtf8(entity)).RootElement;

        var members = stored.EnumerateObject().Select(m => m.Name).ToList();
        Assert.Equal(["https://example.org/temperature"], members.Except(StoredEntityJson.NonAttributeMembers));
        Assert.Subset(StoredEntityJson.NonAttributeMembers.ToHashSet(), members.Where(m => m != "https://example.org/temperature").ToHashSet());
        var read = StoredEntityJson.Deserialize(StoredEntityJson.SerializeUtf8(entity));
        Assert.Equal(4, read.Version);
        Assert.Equal(["/Lübeck/Altstadt"], read.Scopes);
        Assert.Equal(20.5, read.Attributes.Find("https://example.org/temperature", null)!.Value!.GetValue<double>());
    }
}
