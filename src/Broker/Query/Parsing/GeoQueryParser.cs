using System.Globalization;
using System.Text.Json;
using Broker.Geo;
using Broker.Query.Ast;
using Ontology.Model;

namespace Broker.Query.Parsing;

/// <summary>Parser of a geo-query (clause 4.10): the georel, geometry, coordinates and geoproperty parameters.</summary>
/// <remarks>
/// Grammar:
/// <code>
/// georel      = "near;" Distance [ ";" Distance ] / "within" / "contains" / "intersects" / "equals" / "disjoint" / "overlaps"
/// Distance    = ( "maxDistance" / "minDistance" ) "==" Number          ; metres, not negative
/// geometry    = "Point" / "MultiPoint" / "LineString" / "MultiLineString" / "Polygon" / "MultiPolygon"
/// coordinates = the GeoJSON coordinates array of that geometry, e.g. [10.68,53.87]; percent-encoded text is decoded first
/// geoproperty = a term, expanded through the @context; absent: https://uri.etsi.org/ngsi-ld/location
/// </code>
/// Positions are validated as by <see cref="GeoJson"/> (longitude/latitude ranges, closed rings of at least 4 positions).
/// </remarks>
public static class GeoQueryParser
{
    public static ParseResult<GeoQuery> Parse(string georel, string geometry, string coordinates, string? geoproperty, Func<string, string> expandTerm)
    {
        ArgumentNullException.ThrowIfNull(expandTerm);
        georel ??= string.Empty;
        geometry ??= string.Empty;
        coordinates ??= string.Empty;

        var relation = ParseGeorel(georel, out var maxDistance, out var minDistance, out var georelError);
        if (georelError is not null)
            return ParseResult<GeoQuery>.Fail(georelError);

        if (!GeoJson.IsQueryGeometryType(geometry))
        {
            return ParseResult<GeoQuery>.Fail(ParseMessages.Error(ParseMessages.Geometry, 0, ParseMessages.ExpectedGeometry,
                geometry.Length == 0 ? "nothing" : "'" + geometry + "'"));
        }

        var text = coordinates.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(coordinates) : coordinates;
        if (!text.StartsWith('['))
        {
            return ParseResult<GeoQuery>.Fail(ParseMessages.Error(ParseMessages.Coordinates, 0, ParseMessages.ExpectedCoordinates,
                text.Length == 0 ? "nothing" : "'" + text[0] + "'"));
        }
        JsonElement node;
        try
        {
            node = JsonElement.Parse(text);
        }
        catch (JsonException e)
        {
            var position = (int)Math.Min(e.BytePositionInLine ?? 0, text.Length);
            return ParseResult<GeoQuery>.Fail(ParseMessages.Invalid(ParseMessages.Coordinates, position, ParseMessages.ExpectedCoordinates, "the text is not a JSON array"));
        }
        if (node.ValueKind != JsonValueKind.Array)
        {
            return ParseResult<GeoQuery>.Fail(ParseMessages.Error(ParseMessages.Coordinates, 0, ParseMessages.ExpectedCoordinates,
                text.Length == 0 ? "nothing" : "'" + text[0] + "'"));
        }
        if (!GeoJson.TryCreate(geometry, node, out var shape, out var shapeError))
            return ParseResult<GeoQuery>.Fail(ParseMessages.Invalid(ParseMessages.Coordinates, 0, ParseMessages.ExpectedValidCoordinates, shapeError!));

        var property = string.IsNullOrEmpty(geoproperty) ? NgsiLd.Location : expandTerm(geoproperty);
        return ParseResult<GeoQuery>.Ok(new GeoQuery(relation, shape!, property, maxDistance, minDistance));
    }

    private static GeoRelation ParseGeorel(string georel, out double? maxDistance, out double? minDistance, out ParseError? error)
    {
        maxDistance = null;
        minDistance = null;
        error = null;
        switch (georel)
        {
            case "within": return GeoRelation.Within;
            case "contains": return GeoRelation.Contains;
            case "intersects": return GeoRelation.Intersects;
            case "equals": return GeoRelation.Equals;
            case "disjoint": return GeoRelation.Disjoint;
            case "overlaps": return GeoRelation.Overlaps;
        }
        if (georel == "near")
        {
            error = ParseMessages.Error(ParseMessages.Georel, 4, ParseMessages.ExpectedNearDistance, "the end");
            return GeoRelation.Near;
        }
        if (!georel.StartsWith("near;", StringComparison.Ordinal))
        {
            error = ParseMessages.Error(ParseMessages.Georel, 0, ParseMessages.ExpectedGeorel, georel.Length == 0 ? "nothing" : "'" + georel + "'");
            return default;
        }
        var position = 5;
        foreach (var part in georel[5..].Split(';'))
        {
            double? value = null;
            var isMax = part.StartsWith("maxDistance==", StringComparison.Ordinal);
            var isMin = part.StartsWith("minDistance==", StringComparison.Ordinal);
            if ((isMax || isMin) && double.TryParse(part.AsSpan(13), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                && parsed >= 0 && double.IsFinite(parsed))
            {
                value = parsed;
            }
            if (value is null || (isMax && maxDistance is not null) || (isMin && minDistance is not null))
            {
                var offset = isMax || isMin ? position + 13 : position;
                error = ParseMessages.Error(ParseMessages.Georel, offset, ParseMessages.ExpectedDistance,
                    offset >= georel.Length ? "the end" : "'" + georel[offset] + "'");
                return GeoRelation.Near;
            }
            if (isMax)
                maxDistance = value;
            else
                minDistance = value;
            position += part.Length + 1;
        }
        return GeoRelation.Near;
    }
}
