using Broker.Geo;
using Broker.Query.Ast;
using NetTopologySuite.Geometries;
using Ontology.Model;

namespace Broker.Query.Evaluation;

/// <summary>Evaluation of a geo-query (clause 4.10) against an entity's GeoProperty.</summary>
/// <remarks>
/// <list type="bullet">
/// <item>The entity matches when some instance (any datasetId) of the GeoProperty holds a valid GeoJSON geometry that
/// satisfies the relation; an entity without it, or with an invalid geometry, matches no relation, not even disjoint.</item>
/// <item><c>near;maxDistance==d</c>: the geodesic distance (WGS84, metres, <see cref="Geodesy"/>) between the entity's
/// geometry and the reference geometry is at most d; <c>near;minDistance==d</c>: at least d. Both may be given.</item>
/// <item>within, contains, intersects, equals, disjoint, overlaps: the OGC Simple Features predicates of NetTopologySuite,
/// evaluated planar on lon/lat degrees, as PostGIS does for the geometry type (ST_Within etc.) and as clause 4.10 defines
/// them by reference to the Simple Features relations. The entity's geometry is the subject: "within" means the entity's
/// geometry is within the reference geometry, "contains" that it contains the reference geometry.</item>
/// <item>Boundaries follow OGC: a point on a polygon's boundary is not within it (and the polygon does not contain it),
/// but it intersects it; equals is topological equality (same point set, vertex order irrelevant).</item>
/// </list>
/// </remarks>
public static class GeoEvaluator
{
    public static bool Matches(Entity entity, GeoQuery query)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(query);
        var instances = entity.Attributes.Get(query.GeoProperty);
        if (instances is null)
            return false;
        for (var i = 0; i < instances.Count; i++)
        {
            if (GeometryOf(instances[i]) is { } geometry && Matches(geometry, query))
                return true;
        }
        return false;
    }

    private static Geometry? GeometryOf(AttributeInstance instance) => GeoJson.GeometryOf(instance);

    /// <summary>Whether an entity geometry satisfies the query's relation with its reference geometry.</summary>
    public static bool Matches(Geometry geometry, GeoQuery query)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(query);
        var reference = query.Geometry;
        if (query.Relation == GeoRelation.Equals && geometry.EqualsExact(reference))
            return true;
        try
        {
            return Relate(geometry, reference, query);
        }
        catch (NetTopologySuite.Geometries.TopologyException)
        {
            // A self-intersecting polygon has no well-defined topology: it relates to nothing (PostGIS raises an error here).
            return false;
        }
    }

    private static bool Relate(Geometry geometry, Geometry reference, GeoQuery query)
    {
        switch (query.Relation)
        {
            case GeoRelation.Near:
                var distance = Geodesy.Distance(reference, geometry);
                return (query.MaxDistance is not { } max || distance <= max)
                    && (query.MinDistance is not { } min || distance >= min);
            case GeoRelation.Within: return geometry.Within(reference);
            case GeoRelation.Contains: return geometry.Contains(reference);
            case GeoRelation.Intersects: return geometry.Intersects(reference);
            case GeoRelation.Equals: return geometry.EqualsTopologically(reference);
            case GeoRelation.Disjoint: return geometry.Disjoint(reference);
            case GeoRelation.Overlaps: return geometry.Overlaps(reference);
            default: throw new ArgumentOutOfRangeException(nameof(query));
        }
    }
}
