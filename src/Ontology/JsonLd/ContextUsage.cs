namespace Ontology.JsonLd;

/// <summary>How often and when an @context was last used (clause 5.13: numberOfHits and lastUsage); safe across threads.</summary>
public sealed class ContextUsage
{
    private long _hits;
    private long _lastUsedTicks;

    public long Hits => Interlocked.Read(ref _hits);

    public DateTimeOffset? LastUsed => Interlocked.Read(ref _lastUsedTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Record(DateTimeOffset now)
    {
        Interlocked.Increment(ref _hits);
        Interlocked.Exchange(ref _lastUsedTicks, now.UtcTicks);
    }

    public void CopyFrom(ContextUsage other)
    {
        Interlocked.Exchange(ref _hits, other.Hits);
        Interlocked.Exchange(ref _lastUsedTicks, Interlocked.Read(ref other._lastUsedTicks));
    }
}
