using Broker.Storage;
using Broker.Storage.Postgres;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Storage;

public sealed class CommittedChangesTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);

    private static EntityChange Update(string id, long version) =>
        new(ChangeKind.Update, id, null, new Entity { Id = id, Types = ["https://example.org/T"], CreatedAt = At, ModifiedAt = At, Version = version }, [], At);

    [Fact]
    public void A_committed_change_is_found_by_what_its_feed_row_holds_and_nothing_else()
    {
        var committed = new CommittedChanges(capacity: 2);
        var change = Update("urn:x:1", 2);
        committed.Add("city", change);
        var readBack = new DateTimeOffset(At.UtcTicks / 10 * 10, TimeSpan.Zero);

        Assert.Same(change, committed.Find("city", "urn:x:1", ChangeKind.Update, readBack, 2));
        Assert.Null(committed.Find("", "urn:x:1", ChangeKind.Update, readBack, 2));
        Assert.Null(committed.Find("city", "urn:x:1", ChangeKind.Update, readBack, 3));
        Assert.Null(committed.Find("city", "urn:x:1", ChangeKind.Create, readBack, 2));
        Assert.Same(change, committed.Find("city", "urn:x:1", ChangeKind.Update, readBack.AddTicks(10), 2));
        Assert.Null(committed.Find("city", "urn:x:1", ChangeKind.Update, readBack.AddTicks(20), 2));

        committed.Add("city", Update("urn:x:2", 1));
        committed.Add("city", Update("urn:x:3", 1));
        Assert.Null(committed.Find("city", "urn:x:1", ChangeKind.Update, readBack, 2));
        Assert.NotNull(committed.Find("city", "urn:x:3", ChangeKind.Update, readBack, 1));
    }
}
