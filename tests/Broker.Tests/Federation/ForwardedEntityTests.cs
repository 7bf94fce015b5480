using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Federation.Distributed;
using Ontology.JsonLd;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Federation;

/// <summary>The part of an entity a source is sent by a distributed write.</summary>
public sealed class ForwardedEntityTests
{
    private static Entity Vehicle()
    {
        var entity = new Entity { Id = "urn:ngsi-ld:Vehicle:1", Types = [JsonLdContext.Core.ExpandTerm("Vehicle")] };
        entity.Attributes.Put(JsonLdContext.Core.ExpandTerm("speed"), new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(50) });
        return entity;
    }

    [Fact]
    public void With_the_clients_context_URLs_the_part_carries_them_as_its_context()
    {
        using var sent = JsonDocument.Parse(DistributedWrite.Serialize(Vehicle(), JsonLdContext.Core, withId: true, """["http://contexts.example.org/vehicle.jsonld"]"""));

        var root = sent.RootElement;
        Assert.Equal("urn:ngsi-ld:Vehicle:1", root.GetProperty("id").GetString());
        Assert.Equal(50, root.GetProperty("speed").GetProperty("value").GetInt32());
        Assert.Equal("http://contexts.example.org/vehicle.jsonld", Assert.Single(root.GetProperty("@context").EnumerateArray()).GetString());
    }

    [Fact]
    public void Without_them_the_part_has_no_context_member()
    {
        using var sent = JsonDocument.Parse(DistributedWrite.Serialize(Vehicle(), JsonLdContext.Core, withId: true));

        Assert.False(sent.RootElement.TryGetProperty("@context", out _));
        Assert.Equal("urn:ngsi-ld:Vehicle:1", sent.RootElement.GetProperty("id").GetString());
    }
}
