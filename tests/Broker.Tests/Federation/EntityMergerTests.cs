using System.Text.Json.Nodes;
using Broker.Federation.Distributed;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Federation;

/// <summary>The merge of one entity's answers from several sources (clause 4.3.6.2).</summary>
public sealed class EntityMergerTests
{
    private static readonly DateTimeOffset Earlier = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = Earlier.AddDays(1);

    private static Entity EntityWith(string type, params (string Name, int Value, string? DatasetId, string? ObservedAt, DateTimeOffset ModifiedAt)[] attributes)
    {
        var entity = new Entity { Id = "urn:x:e", Types = [type] };
        foreach (var (name, value, datasetId, observedAt, modifiedAt) in attributes)
            entity.Attributes.Put(name, new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(value), DatasetId = datasetId, ObservedAt = observedAt, ModifiedAt = modifiedAt });
        return entity;
    }

    private static int ValueOf(Entity entity, string name, string? datasetId = null) => entity.Attributes.Find(name, datasetId)!.Value!.GetValue<int>();

    [Fact]
    public void The_newer_observedAt_wins_whatever_the_modifiedAt()
    {
        var merged = EntityMerger.Merge([
            new(EntityWith("Room", ("t", 1, null, "2020-01-01T00:00:00Z", Later)), false),
            new(EntityWith("Room", ("t", 2, null, "2021-01-01T00:00:00Z", Earlier)), false),
        ]);
        Assert.Equal(2, ValueOf(merged, "t"));
    }

    [Fact]
    public void Without_observedAt_on_both_the_newer_modifiedAt_wins_and_a_tie_stays_with_the_first_source()
    {
        var newer = EntityMerger.Merge([new(EntityWith("Room", ("t", 1, null, null, Earlier)), false), new(EntityWith("Room", ("t", 2, null, "2021-01-01T00:00:00Z", Later)), false)]);
        var tie = EntityMerger.Merge([new(EntityWith("Room", ("t", 1, null, null, Earlier)), false), new(EntityWith("Room", ("t", 2, null, null, Earlier)), false)]);
        Assert.Equal(2, ValueOf(newer, "t"));
        Assert.Equal(1, ValueOf(tie, "t"));
    }

    [Fact]
    public void An_auxiliary_instance_never_replaces_another_but_an_auxiliary_one_is_replaced_and_fills_gaps()
    {
        var merged = EntityMerger.Merge([
            new(EntityWith("Room", ("t", 99, null, "2030-01-01T00:00:00Z", Later), ("c", 5, null, null, Later)), true),
            new(EntityWith("Room", ("t", 1, null, "2020-01-01T00:00:00Z", Earlier)), false),
            new(EntityWith("Room", ("t", 98, null, "2031-01-01T00:00:00Z", Later)), true),
        ]);
        Assert.Equal(1, ValueOf(merged, "t"));
        Assert.Equal(5, ValueOf(merged, "c"));
    }

    [Fact]
    public void Instances_of_different_datasetIds_are_kept_apart_and_types_are_united()
    {
        var merged = EntityMerger.Merge([
            new(EntityWith("Room", ("t", 1, null, null, Earlier)), false),
            new(EntityWith("Office", ("t", 2, "urn:ds:1", null, Earlier)), false),
        ]);
        Assert.Equal(1, ValueOf(merged, "t"));
        Assert.Equal(2, ValueOf(merged, "t", "urn:ds:1"));
        Assert.Equal(["Room", "Office"], merged.Types);
    }
}
