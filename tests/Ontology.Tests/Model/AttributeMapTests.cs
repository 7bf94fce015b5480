using System.Text.Json.Nodes;
using Ontology.Model;
using Xunit;

namespace Ontology.Tests.Model;

public sealed class AttributeMapTests
{
    private static AttributeInstance Property(int value) => new() { Kind = AttributeKind.Property, Value = JsonValue.Create(value) };

    [Fact]
    public void Instances_without_sub_attributes_share_one_empty_map_that_refuses_writes()
    {
        var first = Property(1);
        var second = Property(2);

        Assert.Same(first.SubAttributes, second.SubAttributes);
        Assert.Equal(0, first.SubAttributes.Count);
        Assert.False(first.SubAttributes.Remove("https://example.org/a"));
        Assert.Throws<InvalidOperationException>(() => first.SubAttributes.Put("https://example.org/a", Property(3)));
        Assert.Equal(0, AttributeMap.Empty.Count);
    }

    [Fact]
    public void A_sub_attribute_written_to_one_instance_stays_with_it()
    {
        var first = Property(1);
        var second = Property(2);

        first.WritableSubAttributes.Put("https://example.org/a", Property(3));

        Assert.Equal(["https://example.org/a"], first.SubAttributes.Names);
        Assert.Same(first.SubAttributes, first.WritableSubAttributes);
        Assert.Equal(0, second.SubAttributes.Count);
        Assert.Equal(0, AttributeMap.Empty.Count);
        var copy = first.DeepClone();
        Assert.NotSame(first.SubAttributes, copy.SubAttributes);
        Assert.Equal(3, copy.SubAttributes.Find("https://example.org/a", null)!.Value!.GetValue<int>());
    }

    [Fact]
    public void A_map_enumerates_in_the_order_names_were_first_written()
    {
        var map = new AttributeMap();
        foreach (var _ in map)
            Assert.Fail("An empty map has nothing to enumerate.");
        map.Put("https://example.org/b", Property(1));
        map.Put("https://example.org/a", Property(2));
        map.Put("https://example.org/b", Property(3));

        Assert.Equal(["https://example.org/b", "https://example.org/a"], map.Select(entry => entry.Key));
        Assert.Equal(3, map.Find("https://example.org/b", null)!.Value!.GetValue<int>());
        Assert.Equal(2, map.DeepClone().Count);
    }
}
