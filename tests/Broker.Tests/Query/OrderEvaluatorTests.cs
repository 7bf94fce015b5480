using System.Text.Json.Nodes;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Query;

/// <summary>The order <see cref="OrderEvaluator"/> gives: kinds, several values, missing values, ties.</summary>
public sealed class OrderEvaluatorTests
{
    private const string Ns = "https://example.org/";

    private static Entity With(string id, JsonNode? value)
    {
        var entity = new Entity { Id = id, Types = [Ns + "Thing"] };
        if (value is not null)
            entity.Attributes.Put(Ns + "v", new AttributeInstance { Kind = AttributeKind.Property, Value = value });
        return entity;
    }

    private static List<string> Order(string orderBy, params Entity[] entities)
    {
        var parsed = OrderByParser.Parse(orderBy, term => Ns + term);
        Assert.True(parsed.Success, parsed.Error?.Message);
        return [.. new OrderEvaluator(parsed.Value!).Sort(entities).Select(e => e.Id)];
    }

    [Fact]
    public void Numbers_come_before_strings_before_booleans_and_missing_values_last_in_both_directions()
    {
        Entity[] entities = [With("e:bool", true), With("e:none", null), With("e:text", "abc"), With("e:ten", 10), With("e:two", 2.5)];
        Assert.Equal(["e:two", "e:ten", "e:text", "e:bool", "e:none"], Order("v", entities));
        Assert.Equal(["e:bool", "e:text", "e:ten", "e:two", "e:none"], Order("v;desc", entities));
    }

    [Fact]
    public void Of_several_values_the_least_counts_ascending_and_the_greatest_descending()
    {
        Entity[] entities = [With("e:wide", new JsonArray(1, 9)), With("e:middle", 5)];
        Assert.Equal(["e:wide", "e:middle"], Order("v", entities));
        Assert.Equal(["e:wide", "e:middle"], Order("v;desc", entities));
    }

    [Fact]
    public void Equal_keys_fall_back_to_the_next_key_and_then_to_the_id()
    {
        Entity[] entities = [With("e:3", 1), With("e:1", 1), With("e:2", 0)];
        Assert.Equal(["e:2", "e:1", "e:3"], Order("v", entities));
        Assert.Equal(["e:3", "e:2", "e:1"], Order("type,id;desc", entities));
        Assert.Equal(["e:3", "e:1", "e:2"], Order("v;desc,id;desc", entities));
    }
}
