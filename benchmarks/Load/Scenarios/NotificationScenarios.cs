using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Benchmarks.Load.Scenarios;

/// <summary>
/// S7: S6's PATCH stream (the same 1000 entities, the same attribute, one of them at random per request) with
/// subscriptions in place, of which a share match the patched entities; compared with S6's write rate on the same store.
/// <list type="bullet">
/// <item>The matching ones (10 % of 1000 by default: 100) each select 10 of the entities by id (entity n belongs to
/// subscription n mod 100) and watch intensity, so every PATCH owes exactly one notification of one entity.</item>
/// <item>Half of the others select the same type but watch another attribute (name): the subscription index proposes
/// them for every PATCH and the matcher turns them down. The other half select another type: the index never proposes them.</item>
/// </list>
/// The PATCHed value is the update's sequence number. The receiver (<see cref="NotificationReceiver"/>, in this process)
/// maps the number in each notified entity back to the moment its PATCH was sent: that difference is the end-to-end
/// latency, with one clock. Setup waits until a PATCH of one entity of every matching subscription has been notified,
/// so the broker's dispatcher holds them all before the warm-up starts.
/// </summary>
public sealed class NotifiedPatch(int subscriptions, int matchingPercent) : BrokerScenario, INotifyingScenario
{
    public const string SubscriptionsPath = "/ngsi-ld/v1/subscriptions";
    private const int Count = 1000;
    private const string OtherType = "OffStreetParking";

    /// <summary>How long the notifications of the measured phase may take to arrive after it ends before they count as lost.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly int _matching = subscriptions * matchingPercent / 100;
    private string[] _paths = [];
    private NotificationReceiver? _receiver;
    private UpdateLog _log = new();
    private volatile bool _measuring;
    private long _phaseNotifications;
    private long _phaseEntities;

    public override string Id => "S7";

    public override string Name => $"attribute PATCH, {subscriptions:N0} subscriptions ({matchingPercent} % matching)";

    /// <summary>The receiver is on 127.0.0.1, which the broker's outbound policy refuses unless told otherwise.</summary>
    public override IReadOnlyList<string> TargetArguments => ["--Outbound:AllowLoopback", "true"];

    /// <summary>Compared with S6 on the same store: the same PATCH stream without subscriptions.</summary>
    public override string? CeilingFor(string store) => AttributePatch.ScenarioId;

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        if (_matching > Count)
            throw new InvalidOperationException($"S7: {_matching} matching subscriptions for {Count} entities; at most one entity each is possible.");
        // The same instance runs once per store: everything starts anew.
        await StopReceiverAsync().ConfigureAwait(false);
        var log = _log = new UpdateLog();
        _measuring = false;
        _receiver = await NotificationReceiver.StartAsync((value, arrived) => log.Arrived(value, arrived), ct).ConfigureAwait(false);

        await PreloadAsync(context, Count, ct).ConfigureAwait(false);
        _paths = [.. Enumerable.Range(0, Count).Select(n => EntitiesPath + "/" + Uri.EscapeDataString(EntityId(context, n)) + "/attrs/intensity")];

        var bodies = Enumerable.Range(0, subscriptions).Select(k => SubscriptionBody(context, k, _receiver.Endpoint)).ToList();
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (body, token) =>
            await context.SendAsync(context.Request(HttpMethod.Post, SubscriptionsPath, Payloads.Content(body)), 201, token).ConfigureAwait(false))
            .ConfigureAwait(false);

        // One PATCH for each matching subscription (entity k belongs to subscription k), and wait until each is notified.
        var probes = new long[_matching];
        for (var k = 0; k < _matching; k++)
            probes[k] = await PatchAsync(context, _paths[k], ct).ConfigureAwait(false);
        var waited = Stopwatch.StartNew();
        while (Array.Exists(probes, s => !log.HasArrived(s)))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                var missing = probes.Count(s => !log.HasArrived(s));
                throw new TimeoutException($"S7: {missing} of {_matching} subscriptions notified nothing within 60 s of setup (receiver {_receiver.Endpoint}).");
            }
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Subscription k: a matching one (k below the matching count) or one that never notifies this stream.</summary>
    private byte[] SubscriptionBody(ScenarioContext context, int k, Uri endpoint)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"urn:ngsi-ld:Subscription:{context.RunId}-{k}");
        string entities;
        string watched;
        if (k < _matching)
        {
            var selectors = new StringBuilder();
            for (var n = k; n < Count; n += _matching)
                selectors.Append(selectors.Length == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $$"""{"id":"{{EntityId(context, n)}}","type":"{{EntityType}}"}""");
            (entities, watched) = ($"[{selectors}]", "intensity");
        }
        else if ((k - _matching) % 2 == 0)
        {
            (entities, watched) = ($$"""[{"type":"{{EntityType}}"}]""", "name");
        }
        else
        {
            (entities, watched) = ($$"""[{"type":"{{OtherType}}"}]""", "intensity");
        }
        return Encoding.UTF8.GetBytes($$$"""
            {"id":"{{{id}}}","type":"Subscription","entities":{{{entities}}},"watchedAttributes":["{{{watched}}}"],
             "notification":{"endpoint":{"uri":"{{{endpoint}}}","accept":"application/json"}} }
            """);
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await PatchAsync(context, _paths[client.Random.Next(_paths.Length)], ct).ConfigureAwait(false);
        return 1;
    }

    /// <summary>S6's PATCH, with the update's sequence number as the value; the number is acknowledged once the broker answered 204.</summary>
    private async ValueTask<long> PatchAsync(ScenarioContext context, string path, CancellationToken ct)
    {
        // Without matching subscriptions no PATCH owes a notification (the experiment of --matching 0).
        var sequence = _log.Sent(_measuring && _matching > 0);
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"type":"Property","value":{{sequence}}}"""));
        await context.SendAsync(context.Request(HttpMethod.Patch, path, Payloads.Content(body)), 204, ct).ConfigureAwait(false);
        _log.Acknowledged(sequence);
        return sequence;
    }

    public void MeasuringStarted()
    {
        _phaseNotifications = _receiver!.Notifications;
        _phaseEntities = _receiver.Entities;
        _measuring = true;
    }

    public async Task<NotificationFigures> MeasuringEndedAsync(CancellationToken ct)
    {
        _measuring = false;
        var ended = Stopwatch.GetTimestamp();
        var notifications = _receiver!.Notifications - _phaseNotifications;
        var entities = _receiver.Entities - _phaseEntities;
        var waited = Stopwatch.StartNew();
        while (_log.Outstanding() > 0 && waited.Elapsed < Grace)
            await Task.Delay(20, ct).ConfigureAwait(false);
        var (latencies, lost, last) = _log.Measured();
        latencies.Sort();
        return new NotificationFigures(subscriptions, _matching, notifications, entities, latencies.Count + lost, lost, _log.Duplicates,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Count == 0 ? TimeSpan.Zero : latencies[^1],
            last > ended ? Stopwatch.GetElapsedTime(ended, last) : TimeSpan.Zero, Grace);
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double quantile) =>
        sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];

    public override async ValueTask DisposeAsync()
    {
        await StopReceiverAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopReceiverAsync()
    {
        if (_receiver is { } receiver)
        {
            _receiver = null;
            await receiver.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every update by sequence number (1, 2, ...): when it was sent, whether in the measured phase, whether the broker
    /// acknowledged it, and when its notification first arrived. Segments of 64 Ki entries, allocated as the numbers grow.
    /// </summary>
    private sealed class UpdateLog
    {
        private const int SegmentBits = 16;
        private const int SegmentSize = 1 << SegmentBits;
        private readonly Entry[]?[] _segments = new Entry[]?[4096];
        private long _last;
        private long _duplicates;

        private struct Entry
        {
            public long Sent;
            public long Arrived;
            public bool Measured;
            public bool Acknowledged;
        }

        public long Duplicates => Interlocked.Read(ref _duplicates);

        public long Sent(bool measured)
        {
            var sequence = Interlocked.Increment(ref _last);
            ref var entry = ref At(sequence);
            entry.Measured = measured;
            Volatile.Write(ref entry.Sent, Stopwatch.GetTimestamp());
            return sequence;
        }

        public void Acknowledged(long sequence) => Volatile.Write(ref At(sequence).Acknowledged, true);

        /// <summary>A notified entity carried <paramref name="value"/>: the first arrival of an update counts, later ones are duplicates.</summary>
        public void Arrived(long value, long timestamp)
        {
            if (value <= 0 || value > Interlocked.Read(ref _last))
                return;
            if (Interlocked.CompareExchange(ref At(value).Arrived, timestamp, 0) != 0)
                Interlocked.Increment(ref _duplicates);
        }

        public bool HasArrived(long sequence) => Volatile.Read(ref At(sequence).Arrived) != 0;

        /// <summary>Updates acknowledged in the measured phase whose notification has not arrived yet.</summary>
        public long Outstanding()
        {
            long outstanding = 0;
            Each((ref Entry e) =>
            {
                if (e.Measured && Volatile.Read(ref e.Acknowledged) && Volatile.Read(ref e.Arrived) == 0)
                    outstanding++;
            });
            return outstanding;
        }

        /// <summary>The latency of every notified update acknowledged in the measured phase, how many were not notified, the last arrival.</summary>
        public (List<TimeSpan> Latencies, long Lost, long LastArrival) Measured()
        {
            var latencies = new List<TimeSpan>();
            long lost = 0, last = 0;
            Each((ref Entry e) =>
            {
                if (!e.Measured || !e.Acknowledged)
                    return;
                var arrived = Volatile.Read(ref e.Arrived);
                if (arrived == 0)
                {
                    lost++;
                    return;
                }
                latencies.Add(Stopwatch.GetElapsedTime(e.Sent, arrived));
                last = Math.Max(last, arrived);
            });
            return (latencies, lost, last);
        }

        private delegate void Visit(ref Entry entry);

        private void Each(Visit visit)
        {
            var last = Interlocked.Read(ref _last);
            for (long sequence = 1; sequence <= last; sequence++)
                visit(ref At(sequence));
        }

        private ref Entry At(long sequence)
        {
            var index = (int)(sequence >> SegmentBits);
            var segment = Volatile.Read(ref _segments[index]);
            if (segment is null)
            {
                Interlocked.CompareExchange(ref _segments[index], new Entry[SegmentSize], null);
                segment = _segments[index]!;
            }
            return ref segment[sequence & (SegmentSize - 1)];
        }
    }
}
