using Broker.Geo;
using Broker.Query.Ast;
using NetTopologySuite.Geometries;
using Ontology.Model;

namespace Broker.Storage.Embedded;

/// <summary>
/// A grid of 0.01° cells over the envelopes of the location GeoProperty of a tenant's entities. It only ever narrows:
/// a geo-query's candidates are every entity whose envelope can satisfy the relation, and the evaluator still decides.
/// Where it cannot narrow safely (another geoproperty, disjoint, minDistance alone, areas that cross the antimeridian
/// or a pole, or huge areas) it answers null and the store scans.
/// </summary>
internal sealed class SpatialGrid
{
    private const double CellDegrees = 0.01;
    private const int MaxCellsPerEntity = 256;
    private const long MaxCellsPerQuery = 20_000;

    // Metres per degree of latitude are at least 110 574 on WGS84; a margin covers rounding of the geodesic distance.
    private const double MetresPerDegreeLatitude = 110_000;

    private readonly Dictionary<(int X, int Y), HashSet<string>> _cells = [];
    private readonly Dictionary<string, (int X, int Y)[]> _cellsOfEntity = new(StringComparer.Ordinal);
    private readonly HashSet<string> _oversize = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Indexes the entity as it is now (null: deleted).</summary>
    public void Update(string id, Entity? entity)
    {
        var envelope = entity is null ? null : LocationEnvelope(entity);
        lock (_lock)
        {
            Remove(id);
            if (envelope is not null)
                Add(id, envelope);
        }
    }

    /// <summary>The ids of the entities that may match the geo-query, or null when the grid cannot narrow it.</summary>
    public HashSet<string>? Candidates(GeoQuery query)
    {
        if (query.GeoProperty != NgsiLd.Location || query.Relation == GeoRelation.Disjoint)
            return null;
        var area = new Envelope(query.Geometry.EnvelopeInternal);
        if (query.Relation == GeoRelation.Near)
        {
            if (query.MaxDistance is not { } distance)
                return null;
            var latitudeDegrees = distance / MetresPerDegreeLatitude;
            var maxLatitude = Math.Max(Math.Abs(area.MinY), Math.Abs(area.MaxY)) + latitudeDegrees;
            if (maxLatitude >= 89)
                return null;
            var longitudeDegrees = distance / (MetresPerDegreeLatitude * Math.Cos(maxLatitude * Math.PI / 180));
            area.ExpandBy(longitudeDegrees, latitudeDegrees);
        }
        if (area.MinX < -180 || area.MaxX > 180 || area.MinY < -90 || area.MaxY > 90)
            return null;
        var (x0, y0) = Cell(area.MinX, area.MinY);
        var (x1, y1) = Cell(area.MaxX, area.MaxY);
        if ((long)(x1 - x0 + 1) * (y1 - y0 + 1) > MaxCellsPerQuery)
            return null;

        var candidates = new HashSet<string>(StringComparer.Ordinal);
        lock (_lock)
        {
            candidates.UnionWith(_oversize);
            for (var x = x0; x <= x1; x++)
            {
                for (var y = y0; y <= y1; y++)
                {
                    if (_cells.TryGetValue((x, y), out var ids))
                        candidates.UnionWith(ids);
                }
            }
        }
        return candidates;
    }

    private void Add(string id, Envelope envelope)
    {
        var (x0, y0) = Cell(envelope.MinX, envelope.MinY);
        var (x1, y1) = Cell(envelope.MaxX, envelope.MaxY);
        if ((long)(x1 - x0 + 1) * (y1 - y0 + 1) > MaxCellsPerEntity)
        {
            _oversize.Add(id);
            return;
        }
        var cells = new (int, int)[(x1 - x0 + 1) * (y1 - y0 + 1)];
        var i = 0;
        for (var x = x0; x <= x1; x++)
        {
            for (var y = y0; y <= y1; y++)
            {
                if (!_cells.TryGetValue((x, y), out var ids))
                    _cells[(x, y)] = ids = new HashSet<string>(StringComparer.Ordinal);
                ids.Add(id);
                cells[i++] = (x, y);
            }
        }
        _cellsOfEntity[id] = cells;
    }

    private void Remove(string id)
    {
        _oversize.Remove(id);
        if (!_cellsOfEntity.Remove(id, out var cells))
            return;
        foreach (var cell in cells)
        {
            if (_cells.TryGetValue(cell, out var ids) && ids.Remove(id) && ids.Count == 0)
                _cells.Remove(cell);
        }
    }

    private static (int X, int Y) Cell(double longitude, double latitude) =>
        ((int)Math.Floor(longitude / CellDegrees), (int)Math.Floor(latitude / CellDegrees));

    /// <summary>The envelope of every valid geometry of the entity's location (all instances); null when it has none.</summary>
    private static Envelope? LocationEnvelope(Entity entity)
    {
        if (entity.Attributes.Get(NgsiLd.Location) is not { } instances)
            return null;
        Envelope? envelope = null;
        foreach (var instance in instances)
        {
            if (!GeoJson.TryParse(instance.Value, out var geometry, out _))
                continue;
            envelope ??= new Envelope();
            envelope.ExpandToInclude(geometry!.EnvelopeInternal);
        }
        return envelope;
    }
}
