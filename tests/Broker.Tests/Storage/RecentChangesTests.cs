using Broker.Storage;
using Broker.Storage.Embedded;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Storage;

/// <summary>
/// The embedded feed's memory of recent changes serves every consumer that keeps up (notifications and the history read
/// the same changes): what one consumer read stays for the others until all have read it.
/// </summary>
public sealed class RecentChangesTests
{
    private static List<FeedChange> Changes(long first, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new FeedChange(first + i, "", new EntityChange(ChangeKind.Delete, "urn:ngsi-ld:T:" + (first + i), null, null, [], DateTimeOffset.UnixEpoch)))];

    private static List<long> Read(RecentChanges recent, string consumer, long after, int max = 100)
    {
        var into = new List<FeedChange>();
        Assert.True(recent.TryRead(consumer, after, max, into), $"{consumer} after {after} was not served from memory");
        return [.. into.Select(c => c.Sequence)];
    }

    [Fact]
    public void Two_consumers_each_read_every_change_from_memory()
    {
        var recent = new RecentChanges(capacity: 100);
        recent.Start(0);
        recent.Append(Changes(1, 5));
        Assert.Equal([1, 2, 3, 4, 5], Read(recent, "notifications", 0));
        Assert.Equal([1, 2, 3, 4, 5], Read(recent, "temporal", 0));
        recent.Append(Changes(6, 3));
        Assert.Equal([6, 7, 8], Read(recent, "temporal", 5));
        Assert.Equal([3, 4, 5, 6, 7, 8], Read(recent, "notifications", 2));
        Assert.Equal([4, 5], Read(recent, "notifications", 3, max: 2));
    }

    [Fact]
    public void What_every_consumer_has_read_is_dropped()
    {
        var recent = new RecentChanges(capacity: 100);
        recent.Start(0);
        recent.Append(Changes(1, 10));
        Read(recent, "notifications", 0);
        Read(recent, "temporal", 0);
        Read(recent, "notifications", 10);
        Read(recent, "temporal", 6);
        // Both are past 6: a consumer starting from before it reads SQLite.
        Assert.False(recent.TryRead("late", 2, 100, []));
        Assert.Equal([7, 8, 9, 10], Read(recent, "temporal", 6));
    }

    [Fact]
    public void A_consumer_that_falls_behind_the_capacity_reads_SQLite()
    {
        var recent = new RecentChanges(capacity: 4);
        recent.Start(0);
        recent.Append(Changes(1, 3));
        Assert.Equal([1, 2, 3], Read(recent, "temporal", 0));
        recent.Append(Changes(4, 6));
        Assert.False(recent.TryRead("notifications", 0, 100, []));
        Assert.Equal([6, 7, 8, 9], Read(recent, "temporal", 5));
    }

    [Fact]
    public void Many_changes_read_in_pages_by_a_consumer_ahead_of_another_keep_their_order_across_compactions()
    {
        var recent = new RecentChanges(capacity: 10_000);
        recent.Start(0);
        long notified = 0, recorded = 0;
        Assert.True(recent.TryRead("temporal", 0, 1, []));
        for (var batch = 0; batch < 60; batch++)
        {
            recent.Append(Changes(batch * 100 + 1, 100));
            var page = Read(recent, "notifications", notified, max: 150);
            Assert.Equal(Enumerable.Range((int)notified + 1, page.Count).Select(n => (long)n), page);
            notified = page[^1];
            if (batch % 3 == 2)
            {
                var behind = Read(recent, "temporal", recorded, max: 1000);
                Assert.Equal(Enumerable.Range((int)recorded + 1, behind.Count).Select(n => (long)n), behind);
                recorded = behind[^1];
            }
        }
        Assert.Equal(6000, notified);
        Assert.Equal(6000, recorded);
        Assert.False(recent.TryRead("late", 0, 10, []));
    }
}
