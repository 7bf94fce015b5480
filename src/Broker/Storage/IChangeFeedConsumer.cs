namespace Broker.Storage;

/// <summary>A consumer of the change feed whose position compaction must respect: no change record it has not read is deleted.</summary>
public interface IChangeFeedConsumer
{
    /// <summary>The position up to which this consumer has durably consumed the feed (<see cref="ChangeFeedPosition.Start"/> before it began).</summary>
    ValueTask<ChangeFeedPosition> ConsumedAsync(CancellationToken cancellationToken);
}
