using Broker.Query.Ast;
using NetTopologySuite.Geometries;
using NpgsqlTypes;

namespace Broker.Storage.Postgres.Sql;

/// <summary>
/// One condition of a WHERE clause over <c>entities e</c>: it writes its SQL and adds its parameters. Negation is a
/// reversal of the predicate (<see cref="Reverse"/>), not a NOT wrapper, where the predicate has an exact opposite.
/// </summary>
internal abstract class SqlPredicate
{
    public abstract void Write(SqlBuilder sql);

    public virtual bool IsAlwaysTrue => false;
}

/// <summary>No condition: the query translator uses it for a part it hands back to the in-memory evaluator.</summary>
internal sealed class TruePredicate : SqlPredicate
{
    public static readonly TruePredicate Instance = new();

    public override bool IsAlwaysTrue => true;

    public override void Write(SqlBuilder sql) => sql.Append("TRUE");
}

/// <summary><c>a AND b</c> or <c>a OR b</c>.</summary>
internal sealed class CompoundPredicate(bool isAnd, IReadOnlyList<SqlPredicate> operands) : SqlPredicate
{
    public static SqlPredicate And(IReadOnlyList<SqlPredicate> operands)
    {
        var kept = operands.Where(o => !o.IsAlwaysTrue).ToList();
        return kept.Count switch { 0 => TruePredicate.Instance, 1 => kept[0], _ => new CompoundPredicate(true, kept) };
    }

    public static SqlPredicate Or(IReadOnlyList<SqlPredicate> operands) =>
        operands.Any(o => o.IsAlwaysTrue) ? TruePredicate.Instance
        : operands.Count == 1 ? operands[0] : new CompoundPredicate(false, operands);

    public override void Write(SqlBuilder sql)
    {
        sql.Append("(");
        for (var i = 0; i < operands.Count; i++)
        {
            if (i > 0)
                sql.Append(isAnd ? " AND " : " OR ");
            operands[i].Write(sql);
        }
        sql.Append(")");
    }
}

/// <summary>The entity id is one of the given ids (the id parameter, clause 5.7.2).</summary>
internal sealed class IdInPredicate(string[] ids) : SqlPredicate
{
    public override void Write(SqlBuilder sql) => sql.Append("e.id = ANY(").Parameter(ids, NpgsqlDbType.Array | NpgsqlDbType.Text).Append(")");
}

/// <summary>The entity has the expanded type (clause 4.17); served by the GIN index on types.</summary>
internal sealed class HasTypePredicate(string type) : SqlPredicate
{
    public override void Write(SqlBuilder sql) => sql.Append("e.types @> ARRAY[").Parameter(type, NpgsqlDbType.Text).Append("]");
}

/// <summary>
/// The entity has (or, reversed, has not) the attribute: a top-level key of the stored document. Only valid for
/// attribute names that are not members of the stored form (<see cref="StoredMembers"/>).
/// </summary>
internal sealed class HasAttributePredicate(string attribute, bool negated = false) : SqlPredicate
{
    public HasAttributePredicate Reverse() => new(attribute, !negated);

    public override void Write(SqlBuilder sql) =>
        sql.Append(negated ? "NOT (e.attribute_names ? " : "(e.attribute_names ? ").Parameter(attribute, NpgsqlDbType.Text).Append(")");
}

/// <summary>The entity has at least one of the attributes (the attrs parameter).</summary>
internal sealed class HasAnyAttributePredicate(string[] attributes) : SqlPredicate
{
    public override void Write(SqlBuilder sql) => sql.Append("(e.attribute_names ?| ").Parameter(attributes, NpgsqlDbType.Array | NpgsqlDbType.Text).Append(")");
}

/// <summary>
/// A superset of the entities satisfying a geo-query (clause 4.10): some geometry row of the GeoProperty passes an
/// index-served test that every true match passes. The exact relation is then decided by the in-memory evaluator.
/// </summary>
/// <remarks>
/// near a point: for entity points, <c>ST_DWithin</c> on geography measured on the sphere (several times cheaper than on
/// the spheroid, and within 0.6 % of it) with a margin of 2 % + 1 m over maxDistance (and under minDistance), which also
/// covers the evaluator's fallback for nearly antipodal points (0.5 %); the spheroid decides only for the rows read
/// (<see cref="GeoCertainPredicate"/>);
/// entity lines and polygons, and near a line or polygon, are not narrowed (see the comment in Write).
/// within, contains, intersects, equals, overlaps: the bounding boxes intersect (<c>&amp;&amp;</c>), which each of those
/// relations implies; disjoint: the GeoProperty has a geometry. Exact ST_Within etc. are not used as the final word
/// because GEOS raises TopologyException on some invalid polygons that the evaluator (NTS) answers.
/// </remarks>
internal sealed class GeoPredicate(GeoQuery query) : SqlPredicate
{
    /// <summary>
    /// The start of an uncorrelated semi-join on the geometry rows of the GeoProperty, so that PostgreSQL reads them through
    /// the GiST index once per query instead of once per entity.
    /// </summary>
    public static void Rows(SqlBuilder sql, string geoProperty) =>
        sql.Append("SELECT g.tenant, g.id FROM entity_geometries g WHERE g.attribute = ").Parameter(geoProperty, NpgsqlDbType.Text);

    public override void Write(SqlBuilder sql)
    {
        sql.Append("(e.tenant, e.id) IN (");
        Rows(sql, query.GeoProperty);
        var reference = query.Geometry.AsBinary();
        switch (query.Relation)
        {
            case GeoRelation.Near when query.Geometry is Point && (query.MaxDistance is not null || query.MinDistance is { } m && m * 0.98 - 1 > 0):
                // Only point to point distances are bounded by the margin: for lines and polygons the evaluator measures in
                // its own projection (Geodesy) while geography follows great circles, so those rows always pass.
                sql.Append(" AND ST_GeometryType(g.geom) = 'ST_Point'");
                if (query.MaxDistance is { } max)
                {
                    if (DegreeBox((Point)query.Geometry, max * 1.02 + 1) is { } box)
                    {
                        // The box serves the geometry GiST index, and ST_DistanceSphere needs no cast to geography per row
                        // (the cast was most of the time of a near query over points).
                        sql.Append(" AND g.geom && ST_MakeEnvelope(").Parameter(box.MinX, NpgsqlDbType.Double).Append(", ")
                            .Parameter(box.MinY, NpgsqlDbType.Double).Append(", ").Parameter(box.MaxX, NpgsqlDbType.Double).Append(", ")
                            .Parameter(box.MaxY, NpgsqlDbType.Double).Append(", 4326) AND ST_DistanceSphere(g.geom, ST_GeomFromWKB(")
                            .Parameter(reference, NpgsqlDbType.Bytea).Append(", 4326)) <= ").Parameter(max * 1.02 + 1, NpgsqlDbType.Double);
                    }
                    else
                    {
                        sql.Append(" AND ST_DWithin(g.geom::geography, ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea)
                            .Append(", 4326)::geography, ").Parameter(max * 1.02 + 1, NpgsqlDbType.Double).Append(", false)");
                    }
                }
                if (query.MinDistance is { } min && min * 0.98 - 1 > 0)
                {
                    sql.Append(" AND NOT ST_DWithin(g.geom::geography, ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea)
                        .Append(", 4326)::geography, ").Parameter(min * 0.98 - 1, NpgsqlDbType.Double).Append(", false)");
                }
                sql.Append(" UNION ALL ");
                Rows(sql, query.GeoProperty);
                sql.Append(" AND ST_GeometryType(g.geom) <> 'ST_Point'");
                break;
            case GeoRelation.Near:
            case GeoRelation.Disjoint:
                break;
            default:
                sql.Append(" AND g.geom && ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea).Append(", 4326)");
                break;
        }
        sql.Append(")");
    }

    public static byte[] ToWkb(Geometry geometry) => geometry.AsBinary();

    // A degree of latitude is at least 110 574 m on WGS84, and a degree of longitude at least that times cos(latitude).
    private const double MetresPerDegree = 110_000;

    /// <summary>
    /// A longitude/latitude box that holds every point within <paramref name="metres"/> of the centre; null near the poles
    /// or across the antimeridian, where such a box is not one rectangle.
    /// </summary>
    internal static (double MinX, double MinY, double MaxX, double MaxY)? DegreeBox(Point centre, double metres)
    {
        var latitudeDegrees = metres / MetresPerDegree;
        var maxLatitude = Math.Abs(centre.Y) + latitudeDegrees;
        if (!double.IsFinite(latitudeDegrees) || maxLatitude >= 89)
            return null;
        var longitudeDegrees = metres / (MetresPerDegree * Math.Cos(maxLatitude * Math.PI / 180));
        if (centre.X - longitudeDegrees < -180 || centre.X + longitudeDegrees > 180)
            return null;
        return (centre.X - longitudeDegrees, centre.Y - latitudeDegrees, centre.X + longitudeDegrees, centre.Y + latitudeDegrees);
    }
}

/// <summary>
/// The entities that certainly satisfy a geo-query (clause 4.10), decided by PostGIS where it agrees with the evaluator;
/// rows that pass <see cref="GeoPredicate"/> but not this one are checked by the evaluator.
/// </summary>
/// <remarks>
/// near, point to point, within 1000 km: geography <c>ST_DWithin</c> measures on the WGS84 spheroid as the evaluator's
/// Vincenty does (both far below a millimetre apart at such distances), so a band of 1 mm + 1e-9 around the distance is
/// left to the evaluator; minDistance keeps the margin of <see cref="GeoPredicate"/>, as the evaluator approximates
/// nearly antipodal points. The relations: GEOS (PostGIS) and NetTopologySuite (the evaluator) implement the same
/// OGC predicates; only valid entity geometries that are not collections, against a valid reference, are decided here,
/// because GEOS raises errors on the others where the evaluator answers.
/// </remarks>
internal sealed class GeoCertainPredicate : SqlPredicate
{
    public const double NearLimit = 1_000_000;

    private readonly GeoQuery _query;

    private GeoCertainPredicate(GeoQuery query) => _query = query;

    public static GeoCertainPredicate? TryCreate(GeoQuery query)
    {
        if (!query.Geometry.IsValid || query.Geometry is GeometryCollection and not (MultiPoint or MultiLineString or MultiPolygon))
            return null;
        if (query.Relation == GeoRelation.Near)
        {
            if (query.Geometry is not Point || (query.MaxDistance is null && query.MinDistance is null))
                return null;
            if (query.MaxDistance is { } max && (max > NearLimit || !double.IsFinite(max)))
                return null;
            if (query.MinDistance is { } min && !double.IsFinite(min))
                return null;
        }
        return new GeoCertainPredicate(query);
    }

    public override void Write(SqlBuilder sql)
    {
        // Correlated: the store evaluates it only for the rows it reads (a page, with a LIMIT), through the (tenant, id) index.
        sql.Append("EXISTS (SELECT 1 FROM entity_geometries g WHERE g.tenant = e.tenant AND g.id = e.id AND g.attribute = ")
            .Parameter(_query.GeoProperty, NpgsqlDbType.Text);
        var reference = _query.Geometry.AsBinary();
        if (_query.Relation == GeoRelation.Near)
        {
            sql.Append(" AND ST_GeometryType(g.geom) = 'ST_Point'");
            if (_query.MaxDistance is { } max)
            {
                sql.Append(" AND ST_DWithin(g.geom::geography, ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea)
                    .Append(", 4326)::geography, ").Parameter(max * (1 - 1e-9) - 0.001, NpgsqlDbType.Double).Append(")");
            }
            if (_query.MinDistance is { } min)
            {
                sql.Append(" AND NOT ST_DWithin(g.geom::geography, ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea)
                    .Append(", 4326)::geography, ").Parameter(min * 1.01 + 1, NpgsqlDbType.Double).Append(")");
            }
            sql.Append(")");
            return;
        }
        var function = _query.Relation switch
        {
            GeoRelation.Within => "ST_Within",
            GeoRelation.Contains => "ST_Contains",
            GeoRelation.Intersects => "ST_Intersects",
            GeoRelation.Equals => "ST_Equals",
            GeoRelation.Disjoint => "ST_Disjoint",
            GeoRelation.Overlaps => "ST_Overlaps",
            _ => throw new ArgumentOutOfRangeException(nameof(_query)),
        };
        if (_query.Relation is not GeoRelation.Disjoint)
            sql.Append(" AND g.geom && ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea).Append(", 4326)");
        sql.Append(" AND CASE WHEN ST_GeometryType(g.geom) <> 'ST_GeometryCollection' AND ST_IsValid(g.geom) THEN ")
            .Append(function).Append("(g.geom, ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea).Append(", 4326)) ELSE FALSE END)");
    }
}
