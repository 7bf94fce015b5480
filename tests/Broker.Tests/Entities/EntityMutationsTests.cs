using System.Text.Json.Nodes;
using Broker.Entities;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Entities;

/// <summary>The next version of an entity shares unchanged instances with the current one, which must stay as it was.</summary>
public sealed class EntityMutationsTests
{
    private static readonly DateTimeOffset Then = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    private static Entity Current()
    {
        var entity = new Entity { Id = "urn:ngsi-ld:Sensor:1", Types = ["https://example.org/Sensor"], CreatedAt = Then, ModifiedAt = Then, Version = 3 };
        var intensity = new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(5), CreatedAt = Then, ModifiedAt = Then };
        intensity.WritableSubAttributes.Put("https://example.org/accuracy", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(1), CreatedAt = Then, ModifiedAt = Then });
        entity.Attributes.Put("https://example.org/intensity", intensity);
        entity.Attributes.Put("https://example.org/name", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create("a"), CreatedAt = Then, ModifiedAt = Then });
        return entity;
    }

    private static Entity Fragment(string name, JsonNode value)
    {
        var fragment = new Entity { Id = "urn:ngsi-ld:Sensor:1" };
        fragment.Attributes.Put(name, new AttributeInstance { Kind = AttributeKind.Property, Value = value });
        return fragment;
    }

    private static void AssertUnchanged(Entity current)
    {
        Assert.Equal(3, current.Version);
        Assert.Equal(Then, current.ModifiedAt);
        Assert.Equal(["https://example.org/intensity", "https://example.org/name"], current.Attributes.Names);
        var intensity = current.Attributes.Find("https://example.org/intensity", null)!;
        Assert.Equal(5, intensity.Value!.GetValue<int>());
        Assert.Equal(Then, intensity.ModifiedAt);
        Assert.Equal(Then, intensity.SubAttributes.Find("https://example.org/accuracy", null)!.ModifiedAt);
        Assert.Equal(1, intensity.SubAttributes.Count);
    }

    [Fact]
    public void Upsert_leaves_the_current_entity_as_it_was()
    {
        var current = Current();
        var next = EntityMutations.Upsert(current, Fragment("https://example.org/intensity", JsonValue.Create(7)), noOverwrite: false, Now, out _);
        Assert.Equal(7, next.Attributes.Find("https://example.org/intensity", null)!.Value!.GetValue<int>());
        Assert.Same(current.Attributes.Find("https://example.org/name", null), next.Attributes.Find("https://example.org/name", null));
        AssertUnchanged(current);
    }

    [Fact]
    public void Merge_of_an_instance_and_removal_by_null_leave_the_current_entity_as_it_was()
    {
        var current = Current();
        var fragment = Fragment("https://example.org/name", JsonValue.Create("urn:ngsi-ld:null"));
        var sub = new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(2) };
        var intensity = new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(9) };
        intensity.WritableSubAttributes.Put("https://example.org/quality", sub);
        fragment.Attributes.Put("https://example.org/intensity", intensity);
        var next = EntityMutations.Merge(current, fragment, Now, out _);
        Assert.False(next.Attributes.Contains("https://example.org/name"));
        var merged = next.Attributes.Find("https://example.org/intensity", null)!;
        Assert.Equal(2, merged.SubAttributes.Count);
        Assert.Equal(Now, merged.ModifiedAt);
        AssertUnchanged(current);
    }

    [Fact]
    public void Replace_keeps_createdAt_and_leaves_the_current_entity_as_it_was()
    {
        var current = Current();
        var replacement = Fragment("https://example.org/other", JsonValue.Create(1));
        replacement.Types = ["https://example.org/Sensor"];
        var next = EntityMutations.Replace(current, replacement, Now, out var changed);
        Assert.Equal(Then, next.CreatedAt);
        Assert.Equal(["https://example.org/intensity", "https://example.org/name", "https://example.org/other"], changed);
        AssertUnchanged(current);
    }
    private static AttributeInstance Location(double longitude, double latitude) =>
        new Broker.Entities.Representation.EntityReader(Ontology.JsonLd.JsonLdContext.Core, Broker.Entities.Representation.ReadMode.Create)
            .ReadEntity(System.Text.Json.JsonDocument.Parse(
                $$$$"""{"id":"urn:ngsi-ld:Sensor:1","type":"Sensor","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[{{{{longitude}}}},{{{{latitude}}}}]}}}""").RootElement)
            .Attributes.Find(NgsiLd.Location, null)!;

    [Fact]
    public void The_geometry_a_reader_parsed_follows_the_value_through_merges()
    {
        var stored = Location(10.68, 53.87);
        Assert.Equal(new NetTopologySuite.Geometries.Coordinate(10.68, 53.87), Assert.IsType<NetTopologySuite.Geometries.Point>(stored.DerivedValue).Coordinate);

        var moved = EntityMutations.MergeInstance(stored, Location(10.7, 53.9), Now);
        Assert.Equal(new NetTopologySuite.Geometries.Coordinate(10.7, 53.9), Broker.Geo.GeoJson.GeometryOf(moved)!.Coordinate);

        var observedOnly = new AttributeInstance { Kind = AttributeKind.GeoProperty, ObservedAt = "2026-11-22T00:00:00Z" };
        var kept = EntityMutations.MergeInstance(moved, observedOnly, Now);
        Assert.Equal(new NetTopologySuite.Geometries.Coordinate(10.7, 53.9), Broker.Geo.GeoJson.GeometryOf(kept)!.Coordinate);
        Assert.Equal(new NetTopologySuite.Geometries.Coordinate(10.68, 53.87), Broker.Geo.GeoJson.GeometryOf(stored)!.Coordinate);
    }
}
