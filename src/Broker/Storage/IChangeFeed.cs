namespace Broker.Storage;

/// <summary>
/// The committed change records of a store, in commit order, for the consumers that hang off a write (notifications now,
/// the temporal history later). Every write commits its change record with it, so a consumer that keeps its
/// <see cref="ChangeFeedPosition"/> durably, together with what it made of the changes, misses none and sees none twice.
/// </summary>
/// <remarks>
/// Changes of one entity come in the order of its versions. A change read back from the store carries, in
/// <see cref="EntityChange.Before"/>, the entity as it was for a delete, and for an update the entity's types, scopes and
/// system members with the previous instances of the changed attributes only (<see cref="ChangeRecords.PreviousOf"/>).
/// </remarks>
public interface IChangeFeed
{
    /// <summary>The position after the newest committed change: where a consumer without a cursor starts.</summary>
    ValueTask<ChangeFeedPosition> HeadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A position that a consumer has reached once it has read every change committed before this call (a write that was
    /// acknowledged before it): what a reader waits for to read its own writes. Never before <see cref="HeadAsync"/>.
    /// </summary>
    ValueTask<ChangeFeedPosition> CommittedAsync(CancellationToken cancellationToken);

    /// <summary>At most <paramref name="max"/> committed changes after <paramref name="after"/>, and the position after them.</summary>
    /// <param name="consumer">Who reads ("notifications", "temporal"): a store may keep recent changes in memory until every consumer has read them.</param>
    ValueTask<ChangeFeedPage> ReadAsync(string consumer, ChangeFeedPosition after, int max, CancellationToken cancellationToken);

    /// <summary>The change records with these sequence numbers that still exist (a consumer's pending work after a restart).</summary>
    ValueTask<IReadOnlyList<FeedChange>> ReadChangesAsync(IReadOnlyList<long> sequences, CancellationToken cancellationToken);

    /// <summary>Completes when a change may have been committed after <paramref name="after"/>, or after <paramref name="timeout"/>.</summary>
    Task WaitAsync(ChangeFeedPosition after, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes change records that no one needs any longer: read by every consumer (before <paramref name="consumed"/>),
    /// not referenced by pending work (sequence below <paramref name="lowestReferenced"/>, when given), older than
    /// <paramref name="olderThan"/>, and (embedded store) no longer holding an entity's current document. Returns how many.
    /// </summary>
    ValueTask<int> CompactAsync(ChangeFeedPosition consumed, long? lowestReferenced, DateTimeOffset olderThan, CancellationToken cancellationToken);
}

/// <summary>
/// Where a consumer stands in a <see cref="IChangeFeed"/>; only the feed that gave it knows what the numbers mean (the
/// embedded store: the last sequence number read; PostgreSQL: a window of transaction ids and the last sequence number
/// read in it). <see cref="Sequence"/> is a change record's sequence number in both.
/// </summary>
public readonly record struct ChangeFeedPosition(long Horizon, long WindowEnd, long Sequence)
{
    /// <summary>The start of the feed: a consumer that starts here reads every change record the store still holds.</summary>
    public static ChangeFeedPosition Start => default;

    /// <summary>
    /// True when a consumer at this position has read everything before <paramref name="target"/> (a position of the same
    /// feed from <see cref="IChangeFeed.HeadAsync"/> or <see cref="IChangeFeed.CommittedAsync"/>, or one a consumer reached):
    /// both feeds order positions by horizon, then by sequence within it.
    /// </summary>
    public bool Covers(ChangeFeedPosition target) =>
        Horizon > target.Horizon || (Horizon == target.Horizon && Sequence >= target.Sequence);

    /// <summary>The earlier of two positions (the one that has read less).</summary>
    public static ChangeFeedPosition Earlier(ChangeFeedPosition a, ChangeFeedPosition b) => a.Covers(b) ? b : a;
}

/// <summary>One committed change record: its sequence number (increasing, unique in the store), its tenant, the change.</summary>
public sealed record FeedChange(long Sequence, string Tenant, EntityChange Change)
{
    /// <summary>The entity after the change as the store serialized it (<see cref="StoredEntityJson"/>, UTF-8), when the store still has it at hand.</summary>
    public byte[]? StoredAfter { get; init; }
}

public sealed record ChangeFeedPage(IReadOnlyList<FeedChange> Changes, ChangeFeedPosition Next);
