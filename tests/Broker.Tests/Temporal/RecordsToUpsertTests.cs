using Broker.Temporal;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Temporal;

/// <summary>
/// The records a transaction of the history upserts (<see cref="TemporalWrite.RecordsToUpsert"/>): one per entity and
/// tenant, with the last write, holding what upserting every write in turn would leave.
/// </summary>
public sealed class RecordsToUpsertTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private static (string Tenant, TemporalWrite Write) Write(string tenant, string id, int createdMinute, int modifiedMinute, string type = "https://example.org/Sensor", DateTimeOffset? deletedAt = null)
    {
        var record = new TemporalEntity(id, [type], null, Start.AddMinutes(createdMinute), Start.AddMinutes(modifiedMinute), deletedAt);
        return (tenant, new TemporalWrite(record, [], new Entity { Id = id, Types = [type] }));
    }

    [Fact]
    public void Only_the_last_write_of_an_entity_upserts_its_record_with_the_earliest_creation_and_the_latest_modification()
    {
        var deleted = Start.AddMinutes(9);
        var records = TemporalWrite.RecordsToUpsert(
        [
            Write("", "urn:a", createdMinute: 2, modifiedMinute: 7),
            Write("", "urn:b", createdMinute: 0, modifiedMinute: 1),
            Write("", "urn:a", createdMinute: 1, modifiedMinute: 3),
            Write("", "urn:a", createdMinute: 4, modifiedMinute: 5, type: "https://example.org/Counter", deletedAt: deleted),
        ]);

        Assert.Null(records[0]);
        Assert.Equal(Start.AddMinutes(0), records[1]!.CreatedAt);
        Assert.Null(records[2]);
        var a = records[3]!;
        Assert.Equal("urn:a", a.Id);
        Assert.Equal(Start.AddMinutes(1), a.CreatedAt);
        Assert.Equal(Start.AddMinutes(7), a.ModifiedAt);
        Assert.Equal(["https://example.org/Counter"], a.Types);
        Assert.Equal(deleted, a.DeletedAt);
    }

    [Fact]
    public void The_same_id_in_two_tenants_is_two_records()
    {
        var records = TemporalWrite.RecordsToUpsert([Write("north", "urn:a", 0, 1), Write("south", "urn:a", 2, 3)]);

        Assert.All(records, Assert.NotNull);
        Assert.Equal(Start.AddMinutes(2), records[1]!.CreatedAt);
    }
}
