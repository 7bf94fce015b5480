using System.Text.Json.Nodes;

namespace OpenDataPortal.Publishing;

/// <summary>
/// What the portal publishes, in memory: per dataset the current (redacted) entities and the observations of the last
/// days (<see cref="HeldSince"/>: older days are dropped as time passes, and observations of them not taken). The broker
/// holds the truth (entities and their history); after a restart the portal rebuilds this from it.
/// </summary>
public sealed class DatasetCatalog
{
    private readonly Dictionary<string, DatasetState> _datasets;
    private readonly Dictionary<string, DatasetState> _byEntityType = new(StringComparer.Ordinal);
    private readonly Redaction _redaction;
    private readonly TimeZoneInfo _timeZone;
    private readonly TimeProvider _clock;
    private readonly int _historyDays;
    private readonly Lock _lock = new();

    /// <param name="historyDays">how many days, today included, the catalog holds</param>
    public DatasetCatalog(IEnumerable<DatasetDefinition> datasets, Redaction redaction, TimeZoneInfo timeZone, TimeProvider clock, int historyDays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(historyDays, 1);
        _datasets = datasets.ToDictionary(d => d.Name, d => new DatasetState(d), StringComparer.Ordinal);
        foreach (var state in _datasets.Values)
        {
            foreach (var type in state.Definition.EntityTypes)
            {
                if (!_byEntityType.TryAdd(type, state))
                    throw new ArgumentException($"The entity type {type} belongs to two datasets, {_byEntityType[type].Definition.Name} and {state.Definition.Name}.");
            }
        }
        _redaction = redaction;
        _timeZone = timeZone;
        _clock = clock;
        _historyDays = historyDays;
    }

    public IEnumerable<DatasetDefinition> Definitions => _datasets.Values.Select(d => d.Definition);

    public DatasetDefinition? Find(string name) => _datasets.TryGetValue(name, out var state) ? state.Definition : null;

    /// <summary>The day (of the portal's time zone) an instant belongs to.</summary>
    public DateOnly DayOf(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, _timeZone).DateTime);

    public DateOnly Today => DayOf(_clock.GetUtcNow());

    /// <summary>The first day the catalog holds; the observations of earlier days are the temporal API's to give.</summary>
    public DateOnly HeldSince => Today.AddDays(1 - _historyDays);

    /// <summary>The first instant of a day of the portal's time zone.</summary>
    public DateTimeOffset StartOf(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, _timeZone.GetUtcOffset(local));
    }

    /// <summary>
    /// Takes entities as the broker sent or answered them: each replaces what the portal held of it (a notification
    /// carries the whole entity), without the denied attributes; its observations join the history. An entity that
    /// carries deletedAt and no attributes was deleted (entityDeleted trigger) and leaves the current state.
    /// </summary>
    /// <param name="at">when the broker sent them; the dataset's modification time</param>
    public void Apply(IEnumerable<JsonObject> entities, DateTimeOffset at)
    {
        lock (_lock)
        {
            foreach (var received in entities)
            {
                var type = Attributes.TypeOf(received);
                if (!_byEntityType.TryGetValue(type, out var state))
                    continue;
                var entity = _redaction.Apply(received);
                var id = Attributes.IdOf(entity);
                if (entity.ContainsKey("deletedAt") && !Attributes.Of(entity).Any())
                    state.Entities.Remove(id);
                else
                    state.Entities[id] = entity;
                AddHistoryLocked(state, HistoryRow.FromEntity(entity));
                if (state.Modified is not { } modified || at > modified)
                    state.Modified = at;
            }
        }
    }

    /// <summary>Observations from the temporal API, redacted like everything else; those already held are kept once.</summary>
    public void AddHistory(IEnumerable<JsonObject> temporalEntities)
    {
        lock (_lock)
        {
            foreach (var history in temporalEntities)
            {
                if (_byEntityType.TryGetValue(Attributes.TypeOf(history), out var state))
                    AddHistoryLocked(state, HistoryRow.FromEntity(_redaction.Apply(history)));
            }
        }
    }

    /// <summary>
    /// The observations of one day of a dataset in the temporal API's answer, redacted like everything else and each once,
    /// without holding them: a day the catalog does not hold.
    /// </summary>
    public IReadOnlyList<HistoryRow> ObservationsOf(string dataset, DateOnly day, IEnumerable<JsonObject> temporalEntities)
    {
        var state = _datasets[dataset];
        var rows = new Dictionary<(string, string, string?, DateTimeOffset), HistoryRow>();
        foreach (var history in temporalEntities)
        {
            if (!_byEntityType.TryGetValue(Attributes.TypeOf(history), out var owner) || owner != state)
                continue;
            foreach (var row in HistoryRow.FromEntity(_redaction.Apply(history)))
            {
                if (DayOf(row.ObservedAt) == day)
                    rows[row.Key] = row;
            }
        }
        return [.. rows.Values];
    }

    private void AddHistoryLocked(DatasetState state, IEnumerable<HistoryRow> rows)
    {
        var heldSince = DropOldDaysLocked(state);
        foreach (var row in rows)
        {
            var day = DayOf(row.ObservedAt);
            if (day < heldSince)
                continue;
            if (!state.History.TryGetValue(day, out var rowsOfDay))
                state.History[day] = rowsOfDay = [];
            rowsOfDay[row.Key] = row;
        }
    }

    /// <summary>Drops the days before <see cref="HeldSince"/>, which it returns; run by every write and read of the history, so it needs no timer.</summary>
    private DateOnly DropOldDaysLocked(DatasetState state)
    {
        var heldSince = HeldSince;
        foreach (var day in state.History.Keys)
        {
            if (day < heldSince)
                state.History.Remove(day);
        }
        return heldSince;
    }

    public IReadOnlyList<JsonObject> Current(string dataset)
    {
        lock (_lock)
            return [.. _datasets[dataset].Entities.Values];
    }

    public IReadOnlyList<HistoryRow> History(string dataset, DateOnly day)
    {
        lock (_lock)
        {
            var state = _datasets[dataset];
            DropOldDaysLocked(state);
            return state.History.TryGetValue(day, out var rows) ? [.. rows.Values] : [];
        }
    }

    public IReadOnlyList<DateOnly> Days(string dataset)
    {
        lock (_lock)
        {
            var state = _datasets[dataset];
            DropOldDaysLocked(state);
            return [.. state.History.Keys.Order()];
        }
    }

    public DateTimeOffset? Modified(string dataset)
    {
        lock (_lock)
            return _datasets[dataset].Modified;
    }

    private sealed class DatasetState(DatasetDefinition definition)
    {
        public DatasetDefinition Definition { get; } = definition;

        public Dictionary<string, JsonObject> Entities { get; } = new(StringComparer.Ordinal);

        public Dictionary<DateOnly, Dictionary<(string, string, string?, DateTimeOffset), HistoryRow>> History { get; } = [];

        public DateTimeOffset? Modified { get; set; }
    }
}
