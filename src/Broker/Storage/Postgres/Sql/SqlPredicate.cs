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
        sql.Append(negated ? "NOT (e.doc ? " : "(e.doc ? ").Parameter(attribute, NpgsqlDbType.Text).Append(")");
}

/// <summary>The entity has at least one of the attributes (the attrs parameter).</summary>
internal sealed class HasAnyAttributePredicate(string[] attributes) : SqlPredicate
{
    public override void Write(SqlBuilder sql) => sql.Append("(e.doc ?| ").Parameter(attributes, NpgsqlDbType.Array | NpgsqlDbType.Text).Append(")");
}

/// <summary>
/// A superset of the entities satisfying a geo-query (clause 4.10): some geometry row of the GeoProperty passes an
/// index-served test that every true match passes. The exact relation is then decided by the in-memory evaluator.
/// </summary>
/// <remarks>
/// near a point: for entity points, <c>ST_DWithin</c> on geography (WGS84 spheroid, metres) with a margin of 1 % + 1 m
/// over maxDistance (and under minDistance), covering the evaluator's fallback for nearly antipodal points (0.5 %);
/// entity lines and polygons, and near a line or polygon, are not narrowed (see the comment in Write).
/// within, contains, intersects, equals, overlaps: the bounding boxes intersect (<c>&amp;&amp;</c>), which each of those
/// relations implies; disjoint: the GeoProperty has a geometry. Exact ST_Within etc. are not used as the final word
/// because GEOS raises TopologyException on some invalid polygons that the evaluator (NTS) answers.
/// </remarks>
internal sealed class GeoPredicate(GeoQuery query) : SqlPredicate
{
    public override void Write(SqlBuilder sql)
    {
        sql.Append("EXISTS (SELECT 1 FROM entity_geometries g WHERE g.tenant = e.tenant AND g.id = e.id AND g.attribute = ")
            .Parameter(query.GeoProperty, NpgsqlDbType.Text);
        var reference = query.Geometry.AsBinary();
        switch (query.Relation)
        {
            case GeoRelation.Near when query.Geometry is Point:
                // Only point to point distances are bounded by the margin: for lines and polygons the evaluator measures in
                // its own projection (Geodesy) while geography follows great circles, so those rows always pass.
                if (query.MaxDistance is { } max)
                {
                    sql.Append(" AND (ST_GeometryType(g.geom) <> 'ST_Point' OR ST_DWithin(g.geom::geography, ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea)
                        .Append(", 4326)::geography, ").Parameter(max * 1.01 + 1, NpgsqlDbType.Double).Append("))");
                }
                if (query.MinDistance is { } min && min * 0.99 - 1 > 0)
                {
                    sql.Append(" AND (ST_GeometryType(g.geom) <> 'ST_Point' OR NOT ST_DWithin(g.geom::geography, ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea)
                        .Append(", 4326)::geography, ").Parameter(min * 0.99 - 1, NpgsqlDbType.Double).Append("))");
                }
                break;
            case GeoRelation.Near:
                break;
            case GeoRelation.Disjoint:
                break;
            default:
                sql.Append(" AND g.geom && ST_GeomFromWKB(").Parameter(reference, NpgsqlDbType.Bytea).Append(", 4326)");
                break;
        }
        sql.Append(")");
    }

    public static byte[] ToWkb(Geometry geometry) => geometry.AsBinary();
}
