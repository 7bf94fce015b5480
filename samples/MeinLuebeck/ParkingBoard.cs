using System.Threading.Channels;

namespace MeinLuebeck;

/// <summary>
/// The parking places as last notified, and the pages watching them: each page gets every change through its own
/// bounded channel (a page that cannot keep up loses its oldest changes, never blocks the others).
/// </summary>
public sealed class ParkingBoard
{
    private const int ChangesPerWatcher = 1000;

    private readonly Dictionary<string, ParkingPlace> _places = new(StringComparer.Ordinal);
    private readonly List<Channel<ParkingPlace>> _watchers = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<ParkingPlace> Places
    {
        get
        {
            lock (_lock)
                return [.. _places.Values.OrderBy(p => p.Id, StringComparer.Ordinal)];
        }
    }

    public void Update(IEnumerable<ParkingPlace> places)
    {
        lock (_lock)
        {
            foreach (var place in places)
            {
                _places[place.Id] = place;
                foreach (var watcher in _watchers)
                    watcher.Writer.TryWrite(place);
            }
        }
    }

    /// <summary>The places now and every change from now on, until the watcher is disposed.</summary>
    public Watcher Watch()
    {
        var channel = Channel.CreateBounded<ParkingPlace>(new BoundedChannelOptions(ChangesPerWatcher) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            _watchers.Add(channel);
            return new Watcher(this, channel, [.. _places.Values.OrderBy(p => p.Id, StringComparer.Ordinal)]);
        }
    }

    public sealed class Watcher(ParkingBoard board, Channel<ParkingPlace> channel, IReadOnlyList<ParkingPlace> snapshot) : IDisposable
    {
        public IReadOnlyList<ParkingPlace> Snapshot { get; } = snapshot;

        public ChannelReader<ParkingPlace> Changes => channel.Reader;

        public void Dispose()
        {
            lock (board._lock)
                board._watchers.Remove(channel);
            channel.Writer.TryComplete();
        }
    }
}
