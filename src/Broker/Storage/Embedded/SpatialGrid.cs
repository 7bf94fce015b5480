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
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The entity as indexed: its envelope and the cells of its level it covers.</summary>
    private sealed class Entry(Entity entity, Envelope envelope, int level, int x0, int y0, int x1, int y1)
    {
        public Entity Entity { get; } = entity;
        public double MinX { get; } = envelope.MinX;
        public double MinY { get; } = envelope.MinY;
        public double MaxX { get; } = envelope.MaxX;
        public double MaxY { get; } = envelope.MaxY;
        public int Level { get; } = level;
        public int X0 { get; } = x0;
        public int Y0 { get; } = y0;
        public int X1 { get; } = x1;
        public int Y1 { get; } = y1;

        /// <summary>What the entity offers to the last number term asked about (computed from <see cref="Entity"/>, so never stale).</summary>
        private NumberMemo? _memo;

        /// <summary>False when the entity cannot satisfy the number term, whatever the rest of the query.</summary>
        public bool MaySatisfy(ComparisonExpression term)
        {
            var memo = _memo;
            if (memo is null || !ReferenceEquals(memo.Attribute, term.Path.Attribute) && memo.Attribute != term.Path.Attribute)
                _memo = memo = new NumberMemo(term.Path.Attribute, QueryEvaluator.NumberTargetsOf(Entity, term.Path.Attribute));
            return memo.Targets is not { } targets || QueryEvaluator.Matches(targets, term);
        }
    }

    private sealed record NumberMemo(string Attribute, QueryEvaluator.NumberTargets? Targets);

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
                return _entries.Count;
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
        double minX = area.MinX, minY = area.MinY, maxX = area.MaxX, maxY = area.MaxY;
        lock (_lock)
        {
            foreach (var entry in _oversize)
            {
                if (Intersects(entry, minX, minY, maxX, maxY) && (numberTerm is null || entry.MaySatisfy(numberTerm)))
                    candidates.Add(entry.Entity);
            }
            foreach (var level in _levels)
            {
                if (level.Cells.Count == 0)
                    continue;
                int x0 = level.Cell(minX), y0 = level.Cell(minY), x1 = level.Cell(maxX), y1 = level.Cell(maxY);
                if ((long)(x1 - x0 + 1) * (y1 - y0 + 1) > level.Cells.Count)
                {
                    // More cells in the area than occupied cells: visiting the occupied ones is cheaper.
                    foreach (var (cell, entries) in level.Cells)
                        Collect(entries, cell.X, cell.Y, x0, y0, minX, minY, maxX, maxY, numberTerm, candidates);
                    continue;
                }
                for (var x = x0; x <= x1; x++)
                {
                    for (var y = y0; y <= y1; y++)
                    {
                        if (level.Cells.TryGetValue((x, y), out var entries))
                            Collect(entries, x, y, x0, y0, minX, minY, maxX, maxY, numberTerm, candidates);
                    }
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Adds the entries of cell (x, y) whose envelope intersects the area. An entry that covers several cells is taken
    /// only in the first of its cells inside the area's cell range (x0, y0 onwards), so it is added once.
    /// </summary>
    private static void Collect(List<Entry> entries, int x, int y, int x0, int y0, double minX, double minY, double maxX, double maxY,
        ComparisonExpression? numberTerm, List<Entity> candidates)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (Intersects(entry, minX, minY, maxX, maxY) && x == Math.Max(entry.X0, x0) && y == Math.Max(entry.Y0, y0)
                && (numberTerm is null || entry.MaySatisfy(numberTerm)))
            {
                candidates.Add(entry.Entity);
            }
        }
    }

    private static bool Intersects(Entry entry, double minX, double minY, double maxX, double maxY) =>
        entry.MinX <= maxX && entry.MaxX >= minX && entry.MinY <= maxY && entry.MaxY >= minY;

    private void Add(string id, Entity entity, Envelope envelope)
    {
        for (var l = 0; l < _levels.Length; l++)
        {
            var level = _levels[l];
            int x0 = level.Cell(envelope.MinX), y0 = level.Cell(envelope.MinY), x1 = level.Cell(envelope.MaxX), y1 = level.Cell(envelope.MaxY);
            if ((long)(x1 - x0 + 1) * (y1 - y0 + 1) > MaxCellsPerEntity)
                continue;
            var entry = new Entry(entity, envelope, l, x0, y0, x1, y1);
            for (var x = x0; x <= x1; x++)
            {
                for (var y = y0; y <= y1; y++)
                {
                    if (!level.Cells.TryGetValue((x, y), out var entries))
                        level.Cells[(x, y)] = entries = [];
                    entries.Add(entry);
                }
            }
            _entries[id] = entry;
            return;
        }
        var oversize = new Entry(entity, envelope, -1, 0, 0, 0, 0);
        _oversize.Add(oversize);
        _entries[id] = oversize;
    }

    private void Remove(string id)
    {
        if (!_entries.Remove(id, out var entry))
            return;
        if (entry.Level < 0)
        {
            _oversize.Remove(entry);
            return;
        }
        var cells = _levels[entry.Level].Cells;
        for (var x = entry.X0; x <= entry.X1; x++)
        {
            for (var y = entry.Y0; y <= entry.Y1; y++)
            {
                if (cells.TryGetValue((x, y), out var entries) && entries.Remove(entry) && entries.Count == 0)
                    cells.Remove((x, y));
            }
        }
    }

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
