using NetTopologySuite.Geometries;
using Ontology.Model;

namespace Broker.Query.Ast;

/// <summary>The geo-relationships of clause 4.10.</summary>
public enum GeoRelation
{
    Near,
    Within,
    Contains,
    Intersects,
    Equals,
    Disjoint,
    Overlaps,
}

/// <summary>
/// A geo-query (clause 4.10, 5.2.13): the GeoProperty <paramref name="GeoProperty"/> (expanded, default
/// <see cref="NgsiLd.Location"/>) related by <paramref name="Relation"/> to <paramref name="Geometry"/> (SRID 4326, x = longitude, y = latitude).
/// For <see cref="GeoRelation.Near"/> exactly one of <paramref name="MaxDistance"/> / <paramref name="MinDistance"/> (metres) is set.
/// </summary>
public sealed record GeoQuery(GeoRelation Relation, Geometry Geometry, string GeoProperty, double? MaxDistance = null, double? MinDistance = null)
{
    public bool Equals(GeoQuery? other) =>
        other is not null && Relation == other.Relation && Geometry.EqualsExact(other.Geometry)
        && GeoProperty == other.GeoProperty && MaxDistance == other.MaxDistance && MinDistance == other.MinDistance;

    public override int GetHashCode() => HashCode.Combine(Relation, GeoProperty, MaxDistance, MinDistance);
}
