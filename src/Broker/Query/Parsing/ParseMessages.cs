namespace Broker.Query.Parsing;

/// <summary>Every error message of the query languages (q, scopeQ, type selection, geo-query), in one place.</summary>
internal static class ParseMessages
{
    public const string Q = "q";
    public const string ScopeQ = "scopeQ";
    public const string Type = "type";
    public const string Georel = "georel";
    public const string Geometry = "geometry";
    public const string Coordinates = "coordinates";

    public const string ExpectedAttribute = "an attribute name";
    public const string ExpectedOperatorOrLogical = "an operator or ';' or '|'";
    public const string ExpectedLogicalOrEnd = "';', '|' or the end";
    public const string ExpectedCloseParen = "')'";
    public const string ExpectedCloseBracket = "']'";
    public const string ExpectedValue = "a value";
    public const string ExpectedComparableValue = "a number, a quoted string, a date, a time or a date-time";
    public const string ExpectedClosingQuote = "a closing '\"'";
    public const string ExpectedRegex = "a valid regular expression";
    public const string ExpectedNoListOrRange = "a single value (ranges and lists only go with == and !=)";
    public const string ExpectedSameKindRange = "range ends of the same kind";
    public const string ExpectedScope = "a scope starting with '/'";
    public const string ExpectedScopeSegment = "a scope level";
    public const string ExpectedTypeName = "an entity type name";
    public const string ExpectedGeorel = "near, within, contains, intersects, equals, disjoint or overlaps";
    public const string ExpectedDistance = "maxDistance==<metres> or minDistance==<metres>";
    public const string ExpectedNearDistance = "near with a maxDistance or minDistance";
    public const string ExpectedGeometry = "Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon";
    public const string ExpectedCoordinates = "GeoJSON coordinates such as [10.68,53.87]";
    public const string ExpectedValidCoordinates = "coordinates valid for the geometry";
    public const string ExpectedNonEmpty = "a non-empty expression";

    /// <summary>The longest q, scopeQ or csf expression parsed: longer ones cost every store and every matched change too much.</summary>
    public const int MaxExpressionLength = 8192;

    public static ParseError TooLong(string language, int length) =>
        new(MaxExpressionLength, $"at most {MaxExpressionLength} characters", $"{language}: the expression has {length} characters, more than the {MaxExpressionLength} a query may have.");

    public static ParseError Error(string language, int position, string expected, string found) =>
        new(position, expected, $"{language}: expected {expected} at position {position}, found {found}.");

    public static ParseError Invalid(string language, int position, string expected, string detail) =>
        new(position, expected, $"{language}: expected {expected} at position {position}: {detail}.");
}
