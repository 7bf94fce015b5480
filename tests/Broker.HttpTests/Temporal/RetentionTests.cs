using System.Text.Json.Nodes;
using Broker.Temporal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>A broker that keeps the history for <see cref="Retention"/> (Temporal:Retention) and runs its housekeeping only at start-up by itself.</summary>
public sealed class RetentionBrokerFactory : BrokerFactory
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    public RetentionBrokerFactory() : base(new Dictionary<string, string>
    {
        ["Temporal:Retention"] = "30.00:00:00",
        ["Temporal:MaintenanceInterval"] = "1.00:00:00",
    })
    {
    }
}

/// <summary>
/// The retention period (issue 11, GDPR data minimisation): housekeeping drops the instances older than Temporal:Retention
/// by their instant (observedAt, else modifiedAt) and keeps the others. The housekeeping is run by the test, so nothing
/// depends on when the broker's own run comes.
/// </summary>
public sealed class RetentionTests(RetentionBrokerFactory factory) : TemporalTest<RetentionBrokerFactory>(factory)
{
    /// <summary>Records what the entity API acknowledged (the projector runs in the background), then runs the housekeeping once.</summary>
    private async Task HousekeepingAsync()
    {
        await Factory.Services.GetRequiredService<TemporalProjector>().CatchUpAsync(CancellationToken.None);
        await Factory.Services.GetServices<IHostedService>().OfType<TemporalMaintenance>().Single().RunOnceAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Instances_older_than_the_retention_period_are_dropped_and_the_others_kept()
    {
        var now = DateTimeOffset.UtcNow;
        var type = NewType();
        var id = NewId(type);
        // Twice the retention period ago, and a day ago; "label" has no observedAt and counts by its modifiedAt (now).
        await PostTemporalAsync(Entity(id, type,
            ("level", Array(Property(1, now - 2 * RetentionBrokerFactory.Retention), Property(2, now.AddDays(-1)))),
            ("label", Array(Property("fresh")))));

        await HousekeepingAsync();

        Assert.Equal([2.0], Numbers(await RetrieveTemporalAsync(id), "level"));
        Assert.Equal(["fresh"], Instances(await RetrieveTemporalAsync(id, "timeproperty=modifiedAt&attrs=label"), "label").Select(i => (string?)i["value"]));
    }

    [Fact]
    public async Task An_entity_whose_instances_are_all_dropped_is_no_longer_in_queries()
    {
        var now = DateTimeOffset.UtcNow;
        var type = NewType();
        var old = await SeriesAsync(type, "level", [(now.AddDays(-90), 1), (now.AddDays(-60), 2)]);
        var recent = await SeriesAsync(type, "level", [(now.AddDays(-90), 3), (now.AddHours(-1), 4)]);

        await HousekeepingAsync();

        var found = await QueryTemporalAsync($"type={type}");
        Assert.Equal([recent], IdsOf(found));
        Assert.Equal([4.0], Numbers(Assert.IsType<JsonObject>(found[0]), "level"));
        Assert.NotEqual(old, recent);
    }

    [Fact]
    public async Task Housekeeping_leaves_the_entities_themselves_alone()
    {
        var now = DateTimeOffset.UtcNow;
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("level", Property(7, now.AddDays(-100)))));
        Assert.Contains(id, IdsOf(await QueryTemporalAsync($"type={type}")));

        await HousekeepingAsync();

        Assert.Equal(7, (int)(await GetEntityAsync(id))["level"]!["value"]!);
        Assert.DoesNotContain(id, IdsOf(await QueryTemporalAsync($"type={type}")));
    }
}
