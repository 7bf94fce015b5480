using System.Text.Json;
using Broker.Federation.Distributed;
using Ontology.JsonLd;
using Xunit;

namespace Broker.Tests.Federation;

/// <summary>The union of type and attribute discovery answers of several sources.</summary>
public sealed class DiscoveryMergerTests
{
    private static readonly JsonLdContext Context = JsonLdContext.Core;

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Type_lists_are_united_and_type_infos_have_their_counts_summed_and_attribute_types_united()
    {
        var here = DiscoveryMerger.ReadTypes(Json("""
            {"id":"https://uri.etsi.org/ngsi-ld/default-context/Room","type":"EntityTypeInfo","typeName":"Room","entityCount":2,
             "attributeDetails":[{"id":"x","type":"Attribute","attributeName":"temperature","attributeTypes":["Property"]}]}
            """), Context);
        var there = DiscoveryMerger.ReadTypes(Json("""
            {"id":"https://uri.etsi.org/ngsi-ld/default-context/Room","type":"EntityTypeInfo","typeName":"Room","entityCount":3,
             "attributeDetails":[{"id":"y","type":"Attribute","attributeName":"temperature","attributeTypes":["Relationship"]},
                                 {"id":"z","type":"Attribute","attributeName":"colour","attributeTypes":["Property"]}]}
            """), Context);
        var list = DiscoveryMerger.ReadTypes(Json("""{"id":"urn:x:l","type":"EntityTypeList","typeList":["Car","Room"]}"""), Context);

        var merged = DiscoveryMerger.MergeTypes([here, there, list]);

        Assert.Equal([Context.ExpandTerm("Car"), Context.ExpandTerm("Room")], merged.Select(t => t.Type));
        var room = merged[1];
        Assert.Equal(5, room.EntityCount);
        Assert.Equal(["Property", "Relationship"], room.Attributes[Context.ExpandTerm("temperature")]);
        Assert.True(room.Attributes.ContainsKey(Context.ExpandTerm("colour")));
    }

    [Fact]
    public void Attributes_are_united_in_the_order_first_named_with_counts_summed_and_type_names_united()
    {
        var here = DiscoveryMerger.ReadAttributes(Json("""
            [{"id":"https://example.org/speed","type":"Attribute","attributeName":"speed","typeNames":["Car"]}]
            """), Context);
        var there = DiscoveryMerger.ReadAttributes(Json("""
            {"id":"https://example.org/speed","type":"Attribute","attributeName":"speed","attributeCount":4,"attributeTypes":["Property"],"typeNames":["Bus"]}
            """), Context);
        var list = DiscoveryMerger.ReadAttributes(Json("""{"id":"urn:x:l","type":"AttributeList","attributeList":["colour"]}"""), Context);

        var merged = DiscoveryMerger.MergeAttributes([list, here, there]);

        Assert.Equal([Context.ExpandTerm("colour"), "https://example.org/speed"], merged.Select(a => a.Name));
        Assert.Equal(4, merged[1].InstanceCount);
        Assert.Equal([Context.ExpandTerm("Bus"), Context.ExpandTerm("Car")], merged[1].TypeNames);
        Assert.Equal(["Property"], merged[1].AttributeTypes);
    }

    [Fact]
    public void An_answer_of_another_shape_gives_nothing()
    {
        Assert.Empty(DiscoveryMerger.ReadTypes(Json("""[1, "x", {"type":"NotAType"}]"""), Context));
        Assert.Empty(DiscoveryMerger.ReadAttributes(Json("42"), Context));
    }
}
