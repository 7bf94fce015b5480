using OpenDataPortal.Broker;
using OpenDataPortal.Publishing;

namespace OpenDataPortal.Hosting;

/// <summary>One day of a dataset's history that the catalog does not hold, as CSV, and how many observations it has.</summary>
public sealed record PastDay(int Observations, string Csv);

/// <summary>
/// The days of history before those the catalog holds, read from the broker's temporal API when asked: the whole day of
/// the portal's time zone, every entity of the dataset's types, redacted like everything else. The
/// <see cref="PortalOptions.PastDaysCached"/> days asked for last are kept for <see cref="Freshness"/>; requests for a
/// day being read wait for that one reading.
/// </summary>
public sealed class PastDays(DatasetCatalog catalog, BrokerClient broker, PortalOptions portal, TimeProvider clock)
{
    /// <summary>A past day can still change (history written late, the broker's retention), so a read day is read again after this.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromHours(1);

    private readonly Dictionary<(string Dataset, DateOnly Day), CachedDay> _cache = [];
    private readonly Lock _lock = new();
    private long _uses;

    /// <exception cref="BrokerException">The broker refused.</exception>
    /// <exception cref="HttpRequestException">The broker could not be reached.</exception>
    public Task<PastDay> ReadAsync(DatasetDefinition dataset, DateOnly day, CancellationToken cancellationToken)
    {
        Task<PastDay> reading;
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            if (!_cache.TryGetValue((dataset.Name, day), out var cached) || cached.ReadAt + Freshness <= now || cached.Reading.IsFaulted || cached.Reading.IsCanceled)
            {
                // Not the request's token: another request may be waiting for the same reading.
                cached = new CachedDay(Task.Run(() => ReadFromBrokerAsync(dataset, day), CancellationToken.None), now);
                _cache[(dataset.Name, day)] = cached;
            }
            cached.LastUse = ++_uses;
            EvictLeastRecentlyUsedLocked();
            reading = cached.Reading;
        }
        return reading.WaitAsync(cancellationToken);
    }

    private async Task<PastDay> ReadFromBrokerAsync(DatasetDefinition dataset, DateOnly day)
    {
        var histories = await broker.HistoryOfTypesAsync(dataset.EntityTypes, catalog.StartOf(day), catalog.StartOf(day.AddDays(1)), CancellationToken.None);
        var rows = catalog.ObservationsOf(dataset.Name, day, histories);
        return new PastDay(rows.Count, CsvHistory.Write(rows));
    }

    private void EvictLeastRecentlyUsedLocked()
    {
        while (_cache.Count > portal.PastDaysCached)
        {
            var oldest = _cache.MinBy(entry => entry.Value.LastUse).Key;
            _cache.Remove(oldest);
        }
    }

    private sealed class CachedDay(Task<PastDay> reading, DateTimeOffset readAt)
    {
        public Task<PastDay> Reading { get; } = reading;

        public DateTimeOffset ReadAt { get; } = readAt;

        public long LastUse { get; set; }
    }
}
