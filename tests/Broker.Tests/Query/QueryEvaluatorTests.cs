using System.Text.Json.Nodes;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Query;

public sealed class QueryEvaluatorTests
{
    private static Entity Entity(string json) => CorpusEntityLoader.ReadEntity(JsonNode.Parse(json)!.AsObject());

    private static bool Matches(Entity entity, string q, TimeSpan? timeout = null)
    {
        var parsed = QueryParser.Parse(q, CorpusEntityLoader.Expand, timeout ?? QueryParser.DefaultRegexTimeout);
        Assert.True(parsed.Success, parsed.Error?.Message);
        return QueryEvaluator.Matches(entity, parsed.Value!);
    }

    [Fact]
    public void Regex_timeout_surfaces_as_QueryTimeoutException()
    {
        var entity = Entity($$$"""{"id":"urn:x","type":"T","text":{"type":"Property","value":"{{{new string('a', 40)}}}!"}}""");

        var exception = Assert.Throws<QueryTimeoutException>(() => Matches(entity, "text~=^(a+)+$", TimeSpan.FromMilliseconds(1)));
        Assert.IsType<System.Text.RegularExpressions.RegexMatchTimeoutException>(exception.InnerException);
    }

    [Fact]
    public void Entity_timestamps_are_queryable()
    {
        var entity = Entity("""{"id":"urn:x","type":"T","createdAt":"2026-01-01T00:00:00Z","modifiedAt":"2026-06-01T00:00:00Z"}""");
        Assert.True(Matches(entity, "createdAt<2026-02-01T00:00:00Z"));
        Assert.True(Matches(entity, "modifiedAt==2026-06-01"));
        Assert.False(Matches(entity, "modifiedAt<2026-06-01T00:00:00Z"));
    }

    [Fact]
    public void Time_literals_compare_times_of_day()
    {
        var entity = Entity("""{"id":"urn:x","type":"T","opens":{"type":"Property","value":"09:30:00Z"}}""");
        Assert.True(Matches(entity, "opens>09:00:00Z"));
        Assert.True(Matches(entity, "opens==09:30:00Z"));
        Assert.False(Matches(entity, "opens<09:00:00Z"));
    }

    [Fact]
    public void Booleans_match_only_by_equality()
    {
        var entity = Entity("""{"id":"urn:x","type":"T","open":{"type":"Property","value":true},"s":{"type":"Property","value":"true"}}""");
        Assert.True(Matches(entity, "open==true"));
        Assert.True(Matches(entity, "open!=false"));
        Assert.False(Matches(entity, "open>false"));
        Assert.False(Matches(entity, "s==true"));
    }

    [Fact]
    public void Arrays_in_property_values_match_any_element()
    {
        var entity = Entity("""{"id":"urn:x","type":"T","tags":{"type":"Property","value":["a","b"]},"levels":{"type":"Property","value":[{"n":1},{"n":5}]}}""");
        Assert.True(Matches(entity, "tags==\"b\""));
        Assert.False(Matches(entity, "tags!=\"b\""));
        Assert.True(Matches(entity, "levels[n]>4"));
        Assert.True(Matches(entity, "levels[n]==1"));
    }

    [Fact]
    public void Numbers_compare_exactly_when_both_sides_are_decimal()
    {
        var entity = Entity("""{"id":"urn:x","type":"T","v":{"type":"Property","value":0.3}}""");
        Assert.True(Matches(entity, "v==0.3"));
        Assert.True(Matches(entity, "v==0.30"));
        Assert.True(Matches(entity, "v>0.1;v<3e-1|v==3E-1"));
    }

    [Fact]
    public void Comparisons_on_geo_and_object_values_are_false_not_errors()
    {
        var entity = Entity("""{"id":"urn:x","type":"T","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10,53]}}}""");
        Assert.False(Matches(entity, "location==1"));
        Assert.True(Matches(entity, "location!=1"));
        Assert.True(Matches(entity, "location[type]==\"Point\""));
    }

    [Fact]
    public void Strings_order_by_code_point_not_by_UTF16_unit()
    {
        // U+1F600 (a surrogate pair in UTF-16) is above U+FF5E in code point order, below it in UTF-16 unit order.
        var entity = Entity("""{"id":"urn:x","type":"T","s":{"type":"Property","value":"\uD83D\uDE00"}}""");
        Assert.True(Matches(entity, "s>\"\uFF5E\""));
        Assert.True(QueryEvaluator.CompareCodePoints("a", "ab") < 0);
        Assert.True(QueryEvaluator.CompareCodePoints("B", "a") < 0);
        Assert.Equal(0, QueryEvaluator.CompareCodePoints("Lübeck", "Lübeck"));
    }
}

public sealed class NumberComparisonTests
{
    private static Entity Entity(string json) => CorpusEntityLoader.ReadEntity(JsonNode.Parse(json)!.AsObject());

    private static bool Matches(Entity entity, string q)
    {
        var parsed = QueryParser.Parse(q, CorpusEntityLoader.Expand, QueryParser.DefaultRegexTimeout);
        Assert.True(parsed.Success, parsed.Error?.Message);
        return QueryEvaluator.Matches(entity, parsed.Value!);
    }

    /// <summary>The number of a value is kept with the instance after the first comparison: the second answer must equal the first.</summary>
    [Theory]
    [InlineData("""{"type":"Property","value":801}""", "n>800", true)]
    [InlineData("""{"type":"Property","value":800}""", "n>800", false)]
    [InlineData("""{"type":"Property","value":800.0}""", "n==800", true)]
    [InlineData("""{"type":"Property","value":0.1}""", "n==0.1", true)]
    [InlineData("""{"type":"Property","value":1e30}""", "n>7.9e28", true)]
    [InlineData("""{"type":"Property","value":1e30}""", "n==1e30", true)]
    [InlineData("""{"type":"Property","value":"801"}""", "n>800", false)]
    [InlineData("""{"type":"Property","value":true}""", "n>0", false)]
    [InlineData("""{"type":"Property","value":[1,900]}""", "n>800", true)]
    [InlineData("""{"type":"Property","value":{"@value":900}}""", "n>800", true)]
    [InlineData("""{"type":"Relationship","object":"urn:x:1"}""", "n>0", false)]
    [InlineData("""[{"type":"Property","value":1},{"type":"Property","value":900,"datasetId":"urn:d"}]""", "n>800", true)]
    [InlineData("""[{"type":"Property","value":"a"},{"type":"Property","value":5,"datasetId":"urn:d"}]""", "n<=5", true)]
    [InlineData("""{"type":"Property","value":5,"unitCode":"C"}""", "n<5", false)]
    [InlineData("""{"type":"Property","value":5}""", "n>=5", true)]
    [InlineData("""{"type":"Property","value":-5}""", "n<-4.5", true)]
    public void A_cached_number_compares_as_the_value(string attribute, string q, bool expected)
    {
        var entity = Entity($$"""{"id":"urn:x","type":"T","n":{{attribute}}}""");
        Assert.Equal(expected, Matches(entity, q));
        Assert.Equal(expected, Matches(entity, q));
    }

    [Fact]
    public void A_geometry_kept_with_a_GeoProperty_is_not_mistaken_for_a_number()
    {
        var entity = Entity("""{"id":"urn:x","type":"T","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10,50]}}}""");
        var near = Broker.Query.Parsing.GeoQueryParser.Parse("near;maxDistance==10", "Point", "[10,50]", null, CorpusEntityLoader.Expand).Value!;
        Assert.True(GeoEvaluator.Matches(entity, near));
        Assert.False(Matches(entity, "location>0"));
        Assert.True(GeoEvaluator.Matches(entity, near));
    }
}
