using System.Runtime.InteropServices;
using Broker.Geo;
using Broker.Query.Ast;
using Broker.Query.Evaluation;
using NetTopologySuite.Geometries;
using Ontology.Model;

namespace Broker.Storage.Embedded;

/// <summary>
/// A hierarchy of grids (cells of 0.001°, 0.01°, 0.1° and 1°) over the envelopes of the location GeoProperty of a
/// tenant's entities. Each entity sits in the finest grid where its envelope spans at most <see cref="MaxCellsPerEntity"/>
/// cells (a point always in the finest); larger envelopes are kept apart and offered to every query. It only ever narrows:
/// a geo-query's candidates are every entity whose envelope intersects the query's area, and the evaluator still decides.
/// Where it cannot narrow safely (another geoproperty, disjoint, minDistance alone, areas that cross the antimeridian
/// or a pole) it answers false and the store scans.
/// </summary>
internal sealed class SpatialGrid
{
    private const int MaxCellsPerEntity = 4;

    // Metres per degree of latitude are at least 110 574 on WGS84; a margin covers rounding of the geodesic distance.
    private const double MetresPerDegreeLatitude = 110_000;

    private readonly Level[] _levels = [new(0.001), new(0.01), new(0.1), new(1)];
    private readonly List<Entry> _oversize = [];
    private readonly Dictionary<string, Placement> _placements = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// The entity in one cell: its envelope, the first cell it covers, and what it offers to the last q number term asked
    /// about (computed from <see cref="Entity"/> itself, so never stale). Entries are structs kept in the cell's list, so a
    /// query reads a cell's entries one after the other; they are read and written only under the grid's lock.
    /// </summary>
    private struct Entry(Entity entity, Envelope envelope, int x0, int y0)
    {
        public readonly Entity Entity = entity;
        public readonly double MinX = envelope.MinX;
        public readonly double MinY = envelope.MinY;
        public readonly double MaxX = envelope.MaxX;
        public readonly double MaxY = envelope.MaxY;
        public readonly int X0 = x0;
        public readonly int Y0 = y0;
        private string? _memoAttribute;
        private QueryEvaluator.NumberTargets _memo;

        public readonly bool Intersects(double minX, double minY, double maxX, double maxY) =>
            MinX <= maxX && MaxX >= minX && MinY <= maxY && MaxY >= minY;

        /// <summary>False when the entity cannot satisfy the number term, whatever the rest of the query.</summary>
        public bool MaySatisfy(ComparisonExpression term)
        {
            var attribute = term.Path.Attribute;
            if (!ReferenceEquals(_memoAttribute, attribute) && _memoAttribute != attribute)
            {
                _memo = QueryEvaluator.NumberTargetsOf(Entity, attribute);
                _memoAttribute = attribute;
            }
            return _memo.IsComplex || QueryEvaluator.Matches(in _memo, term);
        }
    }

    /// <summary>Where an entity is indexed: its level (-1: oversize) and the cells it covers.</summary>
    private readonly record struct Placement(Entity Entity, int Level, int X0, int Y0, int X1, int Y1);

    private sealed class Level(double cellDegrees)
    {
        public double CellDegrees { get; } = cellDegrees;
        public Dictionary<(int X, int Y), List<Entry>> Cells { get; } = [];

        public int Cell(double degrees) => (int)Math.Floor(degrees / CellDegrees);
    }

    /// <summary>How many entities are indexed (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _placements.Count;
        }
    }

    /// <summary>Indexes the entity as it is now (null: deleted).</summary>
    public void Update(string id, Entity? entity)
    {
        var envelope = entity is null ? null : LocationEnvelope(entity);
        lock (_lock)
        {
            Remove(id);
            if (envelope is not null)
                Add(id, entity!, envelope);
        }
    }

    /// <summary>
    /// Adds to <paramref name="candidates"/> every indexed entity whose location envelope intersects the area that the
    /// geo-query can reach and that may satisfy <paramref name="numberTerm"/> (see <see cref="QueryEvaluator.NumberTerm"/>);
    /// false (and nothing added) when the grid cannot narrow the query.
    /// </summary>
    public bool TryGetCandidates(GeoQuery query, ComparisonExpression? numberTerm, List<Entity> candidates)
    {
        if (query.GeoProperty != NgsiLd.Location || query.Relation == GeoRelation.Disjoint)
            return false;
        var area = new Envelope(query.Geometry.EnvelopeInternal);
        if (query.Relation == GeoRelation.Near)
        {
            if (query.MaxDistance is not { } distance)
                return false;
            var latitudeDegrees = distance / MetresPerDegreeLatitude;
            var maxLatitude = Math.Max(Math.Abs(area.MinY), Math.Abs(area.MaxY)) + latitudeDegrees;
            if (maxLatitude >= 89)
                return false;
            var longitudeDegrees = distance / (MetresPerDegreeLatitude * Math.Cos(maxLatitude * Math.PI / 180));
            area.ExpandBy(longitudeDegrees, latitudeDegrees);
        }
        if (area.MinX < -180 || area.MaxX > 180 || area.MinY < -90 || area.MaxY > 90)
            return false;
        var window = new Window(area.MinX, area.MinY, area.MaxX, area.MaxY, numberTerm);
        lock (_lock)
        {
            var oversize = CollectionsMarshal.AsSpan(_oversize);
            for (var i = 0; i < oversize.Length; i++)
            {
                ref var entry = ref oversize[i];
                if (entry.Intersects(window.MinX, window.MinY, window.MaxX, window.MaxY) && (numberTerm is null || entry.MaySatisfy(numberTerm)))
                    candidates.Add(entry.Entity);
            }
            foreach (var level in _levels)
            {
                if (level.Cells.Count == 0)
                    continue;
                int x0 = level.Cell(window.MinX), y0 = level.Cell(window.MinY), x1 = level.Cell(window.MaxX), y1 = level.Cell(window.MaxY);
                if ((long)(x1 - x0 + 1) * (y1 - y0 + 1) > level.Cells.Count)
                {
                    // More cells in the area than occupied cells: visiting the occupied ones is cheaper.
                    foreach (var (cell, entries) in level.Cells)
                        Collect(entries, cell.X, cell.Y, x0, y0, window, candidates);
                    continue;
                }
                for (var x = x0; x <= x1; x++)
                {
                    for (var y = y0; y <= y1; y++)
                    {
                        if (level.Cells.TryGetValue((x, y), out var entries))
                            Collect(entries, x, y, x0, y0, window, candidates);
                    }
                }
            }
        }
        return true;
    }

    private readonly record struct Window(double MinX, double MinY, double MaxX, double MaxY, ComparisonExpression? NumberTerm);

    /// <summary>
    /// Adds the entries of cell (x, y) whose envelope intersects the area. An entry that covers several cells is taken
    /// only in the first of its cells inside the area's cell range (x0, y0 onwards), so it is added once.
    /// </summary>
    private static void Collect(List<Entry> entries, int x, int y, int x0, int y0, in Window window, List<Entity> candidates)
    {
        var span = CollectionsMarshal.AsSpan(entries);
        for (var i = 0; i < span.Length; i++)
        {
            ref var entry = ref span[i];
            if (entry.Intersects(window.MinX, window.MinY, window.MaxX, window.MaxY) && x == Math.Max(entry.X0, x0) && y == Math.Max(entry.Y0, y0)
                && (window.NumberTerm is null || entry.MaySatisfy(window.NumberTerm)))
            {
                candidates.Add(entry.Entity);
            }
        }
    }

    private void Add(string id, Entity entity, Envelope envelope)
    {
        for (var l = 0; l < _levels.Length; l++)
        {
            var level = _levels[l];
            int x0 = level.Cell(envelope.MinX), y0 = level.Cell(envelope.MinY), x1 = level.Cell(envelope.MaxX), y1 = level.Cell(envelope.MaxY);
            if ((long)(x1 - x0 + 1) * (y1 - y0 + 1) > MaxCellsPerEntity)
                continue;
            var entry = new Entry(entity, envelope, x0, y0);
            for (var x = x0; x <= x1; x++)
            {
                for (var y = y0; y <= y1; y++)
                {
                    if (!level.Cells.TryGetValue((x, y), out var entries))
                        level.Cells[(x, y)] = entries = [];
                    entries.Add(entry);
                }
            }
            _placements[id] = new Placement(entity, l, x0, y0, x1, y1);
            return;
        }
        _oversize.Add(new Entry(entity, envelope, 0, 0));
        _placements[id] = new Placement(entity, -1, 0, 0, 0, 0);
    }

    private void Remove(string id)
    {
        if (!_placements.Remove(id, out var placement))
            return;
        if (placement.Level < 0)
        {
            RemoveEntry(_oversize, placement.Entity);
            return;
        }
        var cells = _levels[placement.Level].Cells;
        for (var x = placement.X0; x <= placement.X1; x++)
        {
            for (var y = placement.Y0; y <= placement.Y1; y++)
            {
                if (cells.TryGetValue((x, y), out var entries) && RemoveEntry(entries, placement.Entity) && entries.Count == 0)
                    cells.Remove((x, y));
            }
        }
    }

    private static bool RemoveEntry(List<Entry> entries, Entity entity)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (ReferenceEquals(entries[i].Entity, entity))
            {
                entries.RemoveAt(i);
                return true;
            }
        }
        return false;
    }

    /// <summary>The envelope of every valid geometry of the entity's location (all instances); null when it has none.</summary>
    private static Envelope? LocationEnvelope(Entity entity)
    {
        if (entity.Attributes.Get(NgsiLd.Location) is not { } instances)
            return null;
        Envelope? envelope = null;
        foreach (var instance in instances)
        {
            if (GeoJson.GeometryOf(instance) is not { } geometry)
                continue;
            envelope ??= new Envelope();
            envelope.ExpandToInclude(geometry.EnvelopeInternal);
        }
        return envelope;
    }
}
