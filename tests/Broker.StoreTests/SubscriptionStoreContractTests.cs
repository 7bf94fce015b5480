using Broker.Storage;
using Broker.Storage.Embedded;
using Broker.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace Broker.StoreTests;

/// <summary>What every <see cref="ISubscriptionStore"/> must do, run once per store. Each test uses its own tenant.</summary>
public abstract class SubscriptionStoreContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    protected abstract ISubscriptionStore? Store { get; }

    private static string NewTenant() => "s" + Guid.NewGuid().ToString("N")[..10];

    private static StoredSubscription Subscription(string tenant, string id, string marker = "a") =>
        new(tenant, id, $$"""{"marker":"{{marker}}"}""", Now);

    [Fact]
    public async Task A_subscription_is_stored_read_listed_updated_and_deleted()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        Assert.True(await store.InsertAsync(Subscription(tenant, "urn:s:2"), default));
        Assert.True(await store.InsertAsync(Subscription(tenant, "urn:s:1"), default));
        Assert.True(await store.InsertAsync(Subscription(NewTenant(), "urn:s:1"), default));
        Assert.False(await store.InsertAsync(Subscription(tenant, "urn:s:1", "b"), default));

        var read = (await store.GetAsync(tenant, "urn:s:1", default))!;
        Assert.Contains("\"a\"", read.Document, StringComparison.Ordinal);
        Assert.Equal(Now, read.CreatedAt);
        Assert.Equal(DeliveryStatus.None, read.Status);
        var page = await store.ListAsync(tenant, 1, 5, default);
        Assert.Equal(2, page.Total);
        Assert.Equal(["urn:s:2"], page.Subscriptions.Select(s => s.Id));

        Assert.True(await store.UpdateAsync(tenant, "urn:s:1", """{"marker":"c"}""", read.Revision, default));
        Assert.False(await store.UpdateAsync(tenant, "urn:s:1", """{"marker":"d"}""", read.Revision, default));
        var updated = (await store.GetAsync(tenant, "urn:s:1", default))!;
        Assert.Contains("\"c\"", updated.Document, StringComparison.Ordinal);
        Assert.True(updated.Revision > read.Revision);

        Assert.True(await store.DeleteAsync(tenant, "urn:s:1", default));
        Assert.False(await store.DeleteAsync(tenant, "urn:s:1", default));
        Assert.Null(await store.GetAsync(tenant, "urn:s:1", default));
        Assert.Equal(1, (await store.ListAsync(tenant, 0, 5, default)).Total);
        Assert.False(await store.UpdateAsync(tenant, "urn:s:1", "{}", updated.Revision, default));
    }

    [Fact]
    public async Task Changes_since_a_revision_include_deletions_and_a_deleted_id_can_be_created_again()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var before = (await store.ChangedSinceAsync(0, default)).Select(s => s.Revision).DefaultIfEmpty(0).Max();
        Assert.True(await store.InsertAsync(Subscription(tenant, "urn:s:a"), default));
        Assert.True(await store.InsertAsync(Subscription(tenant, "urn:s:b"), default));
        Assert.True(await store.DeleteAsync(tenant, "urn:s:a", default));

        var changed = (await store.ChangedSinceAsync(before, default)).Where(s => s.Tenant == tenant).ToList();

        Assert.Equal(["urn:s:b", "urn:s:a"], changed.Select(s => s.Id));
        Assert.True(changed[1].Deleted);
        Assert.False(changed[0].Deleted);
        Assert.True(changed[0].Revision < changed[1].Revision);

        Assert.True(await store.InsertAsync(Subscription(tenant, "urn:s:a", "again"), default));
        var again = (await store.GetAsync(tenant, "urn:s:a", default))!;
        Assert.Contains("again", again.Document, StringComparison.Ordinal);
        Assert.True(again.Revision > changed[1].Revision);
    }

    [Fact]
    public async Task The_outbox_and_the_position_are_stored_together_and_reports_apply_to_both_outbox_and_status()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var consumer = "test-" + tenant;
        Assert.Null(await store.ReadPositionAsync(consumer, default));
        Assert.True(await store.InsertAsync(Subscription(tenant, "urn:s:o"), default));
        var entries = Enumerable.Range(1, 5).Select(i => new OutboxEntry(tenant, "urn:s:o", 1000 + i, "urn:e:" + i, 0, Now)).ToList();

        await store.AppendAsync(entries, consumer, new ChangeFeedPosition(7, 9, 1005), default);

        Assert.Equal(new ChangeFeedPosition(7, 9, 1005), await store.ReadPositionAsync(consumer, default));
        Assert.Contains(await store.SummarizeOutboxAsync(default), s => s.Tenant == tenant && s.SubscriptionId == "urn:s:o" && s.Count == 5);
        Assert.Equal([1003L, 1004L], (await store.ReadOutboxAsync(tenant, "urn:s:o", 1002, 2, default)).Select(e => e.Sequence));

        var sent = Now.AddMinutes(1);
        await store.CompleteAsync(
        [
            new DeliveryReport(tenant, "urn:s:o", [1001, 1002], [entries[2] with { Attempts = 2, Due = sent.AddSeconds(4) }], new DeliveryStatus(3, 1, sent, sent.AddSeconds(-1), sent)),
        ], default);

        var left = await store.ReadOutboxAsync(tenant, "urn:s:o", 0, 10, default);
        Assert.Equal([1003L, 1004L, 1005L], left.Select(e => e.Sequence));
        Assert.Equal(2, left[0].Attempts);
        Assert.Equal(sent.AddSeconds(4), left[0].Due);
        var status = (await store.GetAsync(tenant, "urn:s:o", default))!.Status;
        Assert.Equal(new DeliveryStatus(3, 1, sent, sent.AddSeconds(-1), sent), status);

        await store.CompleteAsync([new DeliveryReport(tenant, "urn:s:o", [], [], new DeliveryStatus(1, 0, sent.AddSeconds(9), sent.AddSeconds(9), null))], default);
        Assert.Equal(new DeliveryStatus(4, 1, sent.AddSeconds(9), sent.AddSeconds(9), sent), (await store.GetAsync(tenant, "urn:s:o", default))!.Status);

        Assert.True(await store.DeleteAsync(tenant, "urn:s:o", default));
        Assert.Empty(await store.ReadOutboxAsync(tenant, "urn:s:o", 0, 10, default));
    }

    [Fact]
    public async Task A_first_position_is_saved_once_and_never_overwrites_a_saved_one()
    {
        if (Store is not { } store)
            return;
        var consumer = "first-" + NewTenant();

        await store.InitializePositionAsync(consumer, new ChangeFeedPosition(1, 1, 10), default);
        await store.InitializePositionAsync(consumer, new ChangeFeedPosition(2, 2, 20), default);
        Assert.Equal(new ChangeFeedPosition(1, 1, 10), await store.ReadPositionAsync(consumer, default));

        await store.AppendAsync([], consumer, new ChangeFeedPosition(3, 3, 30), default);
        await store.InitializePositionAsync(consumer, new ChangeFeedPosition(2, 2, 20), default);
        Assert.Equal(new ChangeFeedPosition(3, 3, 30), await store.ReadPositionAsync(consumer, default));

        await store.AppendAsync([], consumer, null, default);
        Assert.Equal(new ChangeFeedPosition(3, 3, 30), await store.ReadPositionAsync(consumer, default));
    }

    [Fact]
    public async Task A_node_can_lead()
    {
        if (Store is not { } store)
            return;
        await using var lease = await store.TryLeadAsync(default);
        Assert.NotNull(lease);
        Assert.False(lease!.Lost.IsCancellationRequested);
    }
}

public sealed class EmbeddedSubscriptionStoreFixture : IAsyncLifetime
{
    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "ngsi-subscriptions-" + Guid.NewGuid().ToString("N"));

    public EmbeddedSubscriptionStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new EmbeddedSubscriptionStore(new EmbeddedStoreOptions { DataPath = DataPath }, TimeProvider.System);
        await Store.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(DataPath, recursive: true);
    }
}

public sealed class EmbeddedSubscriptionStoreContractTests(EmbeddedSubscriptionStoreFixture fixture) : SubscriptionStoreContractTests, IClassFixture<EmbeddedSubscriptionStoreFixture>
{
    protected override ISubscriptionStore? Store => fixture.Store;

    [Fact]
    public async Task What_was_stored_is_there_after_a_restart()
    {
        var tenant = "restart" + Guid.NewGuid().ToString("N")[..6];
        Assert.True(await fixture.Store.InsertAsync(new StoredSubscription(tenant, "urn:s:r", "{}", DateTimeOffset.UnixEpoch), default));
        await fixture.Store.AppendAsync([new OutboxEntry(tenant, "urn:s:r", 5, "urn:e:5", 0, DateTimeOffset.UnixEpoch)], "restart-" + tenant, new ChangeFeedPosition(0, 0, 5), default);

        await using var reopened = new EmbeddedSubscriptionStore(new EmbeddedStoreOptions { DataPath = fixture.DataPath }, TimeProvider.System);
        await reopened.InitializeAsync(default);

        Assert.NotNull(await reopened.GetAsync(tenant, "urn:s:r", default));
        Assert.Equal(new ChangeFeedPosition(0, 0, 5), await reopened.ReadPositionAsync("restart-" + tenant, default));
        Assert.Equal([5L], (await reopened.ReadOutboxAsync(tenant, "urn:s:r", 0, 10, default)).Select(e => e.Sequence));
    }
}

public sealed class PostgresSubscriptionStoreFixture : IAsyncLifetime
{
    private PostgresStoreFixture? _database;

    public string? ConnectionString => _database?.ConnectionString;

    public PostgresSubscriptionStore? Store { get; private set; }

    public async Task InitializeAsync()
    {
        _database = new PostgresStoreFixture();
        await _database.InitializeAsync();
        if (_database.ConnectionString is { } connectionString)
            Store = Open(connectionString);
    }

    public static PostgresSubscriptionStore Open(string connectionString) =>
        new(new PostgresStoreOptions { ConnectionString = connectionString }, TimeProvider.System, NullLogger<PostgresSubscriptionStore>.Instance);

    public async Task DisposeAsync()
    {
        if (Store is not null)
            await Store.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
    }
}

public sealed class PostgresSubscriptionStoreContractTests(PostgresSubscriptionStoreFixture fixture) : SubscriptionStoreContractTests, IClassFixture<PostgresSubscriptionStoreFixture>
{
    protected override ISubscriptionStore? Store => fixture.Store;

    [PostgresFact]
    public async Task Only_one_node_leads_and_another_takes_over_when_it_stops()
    {
        await using var other = PostgresSubscriptionStoreFixture.Open(fixture.ConnectionString!);
        var first = await fixture.Store!.TryLeadAsync(default);
        Assert.NotNull(first);
        Assert.Null(await other.TryLeadAsync(default));

        await first!.DisposeAsync();
        await using var second = await other.TryLeadAsync(default);

        Assert.NotNull(second);
    }

    [PostgresFact]
    public async Task A_lease_whose_session_ends_is_lost()
    {
        await using var lease = await fixture.Store!.TryLeadAsync(default);
        Assert.NotNull(lease);
        await using (var connection = new NpgsqlConnection(fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1313297230 AND pid <> pg_backend_pid()", connection);
            await kill.ExecuteNonQueryAsync();
        }

        _ = await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(15)), Task.Delay(Timeout.Infinite, lease!.Lost));

        Assert.True(lease.Lost.IsCancellationRequested, "the lease did not notice that its session ended");
        await using var again = await fixture.Store.TryLeadAsync(default);
        Assert.NotNull(again);
    }
}
