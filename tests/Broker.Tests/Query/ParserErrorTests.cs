using Broker.Query.Parsing;
using Xunit;

namespace Broker.Tests.Query;

/// <summary>Every error class of the parsers, with its position and what was expected.</summary>
public sealed class ParserErrorTests
{
    private static string Expand(string term) => CorpusEntityLoader.Expand(term);

    [Theory]
    [InlineData("", 0, "a non-empty expression")]
    [InlineData("status#", 6, "an operator or ';' or '|'")]
    [InlineData("==1", 0, "an attribute name")]
    [InlineData("a==1;", 5, "an attribute name")]
    [InlineData("a==1|", 5, "an attribute name")]
    [InlineData("(a==1", 5, "')'")]
    [InlineData("(a", 2, "an operator or ';' or '|' or ')'")]
    [InlineData("a==1)", 4, "';', '|' or the end")]
    [InlineData("a==", 3, "a value")]
    [InlineData("a==;b", 3, "a value")]
    [InlineData("a==free", 3, "a number, a quoted string, a date, a time or a date-time")]
    [InlineData("a==1,", 5, "a value")]
    [InlineData("a==\"open", 8, "a closing '\"'")]
    [InlineData("a>1..5", 1, "a single value (ranges and lists only go with == and !=)")]
    [InlineData("a<1,2", 1, "a single value (ranges and lists only go with == and !=)")]
    [InlineData("a==1..\"x\"", 6, "range ends of the same kind")]
    [InlineData("a==true..false", 9, "range ends of the same kind")]
    [InlineData("a[b", 3, "']'")]
    [InlineData("a[]==1", 2, "an attribute name")]
    [InlineData("a[b.]==1", 4, "an attribute name")]
    [InlineData("a.==1", 2, "an attribute name")]
    [InlineData("a~=", 3, "a valid regular expression")]
    [InlineData("a~=[z-a]", 3, "a valid regular expression")]
    [InlineData("a~=(x", 3, "a valid regular expression")]
    [InlineData("a==2026-13-01", 3, "a number, a quoted string, a date, a time or a date-time")]
    [InlineData("!", 1, "an attribute name")]
    public void Query_errors_name_position_and_expectation(string text, int position, string expected)
    {
        var result = QueryParser.Parse(text, Expand);

        Assert.False(result.Success);
        Assert.Null(result.Value);
        Assert.NotNull(result.Error);
        Assert.Equal(expected, result.Error.Expected);
        Assert.Equal(position, result.Error.Position);
        Assert.StartsWith("q: expected ", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains($"at position {position}", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_is_a_sentence_with_what_was_found()
    {
        var error = QueryParser.Parse("status#", Expand).Error!;
        Assert.Equal("q: expected an operator or ';' or '|' at position 6, found '#'.", error.Message);
    }

    [Theory]
    [InlineData("", 0, "a scope starting with '/'")]
    [InlineData("Madrid", 0, "a scope starting with '/'")]
    [InlineData("/Madrid/", 8, "a scope level")]
    [InlineData("//Madrid", 1, "a scope level")]
    [InlineData("/Madrid;", 8, "a scope starting with '/'")]
    [InlineData("(/Madrid", 8, "')'")]
    [InlineData("/Madrid/#/Gardens", 9, "';', ',' or the end")]
    [InlineData("/Madrid)", 7, "';', ',' or the end")]
    public void Scope_query_errors(string text, int position, string expected)
    {
        var result = ScopeQueryParser.Parse(text);

        Assert.False(result.Success);
        Assert.Equal(expected, result.Error!.Expected);
        Assert.Equal(position, result.Error.Position);
        Assert.StartsWith("scopeQ: expected ", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 0, "an entity type name")]
    [InlineData("A,", 2, "an entity type name")]
    [InlineData("A;;B", 2, "an entity type name")]
    [InlineData("(A,B", 4, "')'")]
    [InlineData("A)", 1, "';', '|' or the end")]
    [InlineData("A B", 1, "';', '|' or the end")]
    public void Type_selector_errors(string text, int position, string expected)
    {
        var result = TypeSelectorParser.Parse(text, Expand);

        Assert.False(result.Success);
        Assert.Equal(expected, result.Error!.Expected);
        Assert.Equal(position, result.Error.Position);
        Assert.StartsWith("type: expected ", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nearby", "Point", "[10.68,53.87]", "georel", 0, "near, within, contains, intersects, equals, disjoint or overlaps")]
    [InlineData("", "Point", "[10.68,53.87]", "georel", 0, "near, within, contains, intersects, equals, disjoint or overlaps")]
    [InlineData("near", "Point", "[10.68,53.87]", "georel", 4, "near with a maxDistance or minDistance")]
    [InlineData("near;", "Point", "[10.68,53.87]", "georel", 5, "maxDistance==<metres> or minDistance==<metres>")]
    [InlineData("near;maxDistance=500", "Point", "[10.68,53.87]", "georel", 5, "maxDistance==<metres> or minDistance==<metres>")]
    [InlineData("near;maxDistance==abc", "Point", "[10.68,53.87]", "georel", 18, "maxDistance==<metres> or minDistance==<metres>")]
    [InlineData("near;maxDistance==-5", "Point", "[10.68,53.87]", "georel", 18, "maxDistance==<metres> or minDistance==<metres>")]
    [InlineData("near;maxDistance==5;maxDistance==6", "Point", "[10.68,53.87]", "georel", 33, "maxDistance==<metres> or minDistance==<metres>")]
    [InlineData("within", "Circle", "[10.68,53.87]", "geometry", 0, "Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon")]
    [InlineData("within", "point", "[10.68,53.87]", "geometry", 0, "Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon")]
    [InlineData("within", "Point", "10.68,53.87", "coordinates", 0, "GeoJSON coordinates such as [10.68,53.87]")]
    [InlineData("within", "Point", "[10.68,53.87", "coordinates", 12, "GeoJSON coordinates such as [10.68,53.87]")]
    [InlineData("within", "Point", "[190,53.87]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "Point", "[10.68,-91]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "Point", "[10.68]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "Point", "[\"10.68\",53.87]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "LineString", "[[10.68,53.87]]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "Polygon", "[[[10,53],[11,53],[10,53]]]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "Polygon", "[[[10,53],[11,53],[11,54],[10,54]]]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "Polygon", "[[10,53],[11,53],[11,54],[10,53]]", "coordinates", 0, "coordinates valid for the geometry")]
    [InlineData("within", "MultiPoint", "[]", "coordinates", 0, "coordinates valid for the geometry")]
    public void Geo_query_errors(string georel, string geometry, string coordinates, string parameter, int position, string expected)
    {
        var result = GeoQueryParser.Parse(georel, geometry, coordinates, null, Expand);

        Assert.False(result.Success);
        Assert.Equal(expected, result.Error!.Expected);
        Assert.Equal(position, result.Error.Position);
        Assert.StartsWith(parameter + ": expected ", result.Error.Message, StringComparison.Ordinal);
    }
}
