using System.Text.Json.Nodes;
using Broker.Federation.Distributed;
using Broker.Storage;
using Broker.Temporal;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Federation;

/// <summary>The union of one entity's histories from this broker and its sources.</summary>
public sealed class TemporalMergeTests
{
    private static readonly DateTimeOffset Stamp = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TemporalInstance Instance(string id, int value, string observedAt) =>
        new("urn:x:speed", id, new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(value), ObservedAt = observedAt });

    private static EntityHistory History(string type, params TemporalInstance[] instances) =>
        new(new TemporalEntity("urn:x:e", [type], null, Stamp, Stamp, null), [new AttributeHistory("urn:x:speed", instances)]);

    private static int[] Values(EntityHistory history) => [.. history.Attributes.Single().Instances.Select(i => i.Instance.Value!.GetValue<int>())];

    [Fact]
    public void An_instance_two_sources_give_counts_once_and_the_union_is_in_time_order()
    {
        var here = History("urn:x:A", Instance("urn:i:1", 1, "2026-01-01T10:00:00Z"), Instance("urn:i:3", 3, "2026-01-01T12:00:00Z"));
        var there = History("urn:x:B", Instance("urn:i:1", 1, "2026-01-01T10:00:00Z"), Instance("urn:i:other", 3, "2026-01-01T12:00:00Z"),
            Instance("urn:i:2", 2, "2026-01-01T11:00:00Z"), Instance("urn:i:4", 4, "2026-01-01T12:00:00Z"));

        var merged = DistributedTemporal.Merge([here, there], new TemporalQuery());

        Assert.Equal([1, 2, 3, 4], Values(merged));
        Assert.Equal(["urn:x:A", "urn:x:B"], merged.Entity.Types);
    }

    [Fact]
    public void LastN_and_the_instance_limit_apply_to_the_union()
    {
        var here = History("urn:x:A", Instance("urn:i:1", 1, "2026-01-01T10:00:00Z"), Instance("urn:i:3", 3, "2026-01-01T12:00:00Z"));
        var there = History("urn:x:A", Instance("urn:i:2", 2, "2026-01-01T11:00:00Z"));

        Assert.Equal([2, 3], Values(DistributedTemporal.Merge([here, there], new TemporalQuery { LastN = 2 })));
        var limited = DistributedTemporal.Merge([here, there], new TemporalQuery { InstanceLimit = 2 });
        Assert.Equal([1, 2], Values(limited));
        Assert.True(limited.Attributes.Single().Truncated);
    }
}
