using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Temporal;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Temporal;

/// <summary>
/// What a change record adds to the history (<see cref="ChangeProjection"/>): a create records every instance, an
/// update the instances it created or modified among the changed attributes and a deletion for each it removed, an entity
/// delete a deletion for every instance; a deletion keeps the kind, datasetId and value of what was deleted, has the
/// change's instant as deletedAt and modifiedAt, and no observedAt.
/// </summary>
public sealed class ChangeProjectionTests
{
    private const string Speed = "https://example.org/speed";
    private const string Fuel = "https://example.org/fuel";
    private const string Vehicle = "https://example.org/Vehicle";
    private const string Gps = "urn:ngsi-ld:Dataset:gps";

    private static readonly DateTimeOffset Created = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Changed = Created.AddMinutes(5);

    private static AttributeInstance Instance(JsonNode? value, DateTimeOffset modifiedAt, string? datasetId = null, string? observedAt = null) => new()
    {
        Kind = AttributeKind.Property,
        Value = value is null ? null : JsonNode.Parse(value.ToJsonString()),
        DatasetId = datasetId,
        ObservedAt = observedAt,
        CreatedAt = Created,
        ModifiedAt = modifiedAt,
    };

    private static Entity Vehicle1(params (string Name, AttributeInstance Instance)[] attributes)
    {
        var entity = new Entity { Id = "urn:ngsi-ld:Vehicle:1", Types = [Vehicle], CreatedAt = Created, ModifiedAt = Created };
        foreach (var (name, instance) in attributes)
            entity.Attributes.Put(name, instance);
        return entity;
    }

    private static EntityChange Update(Entity before, Entity after, params string[] changed) =>
        new(ChangeKind.Update, before.Id, before, after, changed, Changed);

    [Fact]
    public void A_create_records_every_instance_of_every_attribute()
    {
        var created = Vehicle1((Speed, Instance(10, Created, observedAt: "2024-03-01T00:00:00Z")), (Speed, Instance(11, Created, Gps)), (Fuel, Instance(40, Created)));

        var write = ChangeProjection.Project(new EntityChange(ChangeKind.Create, created.Id, null, created, [Speed, Fuel], Created));

        Assert.NotNull(write);
        Assert.Equal([(Speed, 10.0, (string?)null), (Speed, 11.0, Gps), (Fuel, 40.0, null)],
            write.Instances.Select(i => (i.Attribute, (double)i.Instance.Value!, i.Instance.DatasetId)));
        Assert.All(write.Instances, i => Assert.Null(i.DeletedAt));
        Assert.Equal("2024-03-01T00:00:00Z", write.Instances[0].Instance.ObservedAt);
        Assert.Equal(created.Id, write.Entity.Id);
        Assert.Equal([Vehicle], write.Entity.Types);
        Assert.Equal(Created, write.Entity.CreatedAt);
        Assert.Null(write.Entity.DeletedAt);
        Assert.Same(created, write.State);
    }

    [Fact]
    public void Every_instance_gets_an_instance_id_of_its_own()
    {
        var created = Vehicle1((Speed, Instance(10, Created)), (Speed, Instance(11, Created, Gps)), (Fuel, Instance(40, Created)));

        var write = ChangeProjection.Project(new EntityChange(ChangeKind.Create, created.Id, null, created, [Speed, Fuel], Created))!;

        Assert.Equal(3, write.Instances.Select(i => i.InstanceId).Distinct(StringComparer.Ordinal).Count());
        Assert.All(write.Instances, i => Assert.StartsWith("urn:ngsi-ld:", i.InstanceId, StringComparison.Ordinal));
    }

    [Fact]
    public void An_update_records_the_modified_instances_of_the_changed_attributes()
    {
        var before = Vehicle1((Speed, Instance(10, Created)), (Fuel, Instance(40, Created)));
        var after = Vehicle1((Speed, Instance(20, Changed)), (Fuel, Instance(40, Created)));

        var write = ChangeProjection.Project(Update(before, after, Speed))!;

        var recorded = Assert.Single(write.Instances);
        Assert.Equal(Speed, recorded.Attribute);
        Assert.Equal(20, (int)recorded.Instance.Value!);
        Assert.Null(recorded.DeletedAt);
        Assert.Same(after, write.State);
    }

    [Fact]
    public void An_update_does_not_record_attributes_it_does_not_name_as_changed()
    {
        // Only ChangedAttributes are looked at, even where before and after differ.
        var before = Vehicle1((Speed, Instance(10, Created)), (Fuel, Instance(40, Created)));
        var after = Vehicle1((Speed, Instance(20, Changed)), (Fuel, Instance(30, Changed)));

        var write = ChangeProjection.Project(Update(before, after, Fuel))!;

        Assert.Equal([Fuel], write.Instances.Select(i => i.Attribute));
    }

    [Fact]
    public void An_update_of_one_datasetId_leaves_the_other_instances_of_the_attribute_out()
    {
        var before = Vehicle1((Speed, Instance(10, Created)), (Speed, Instance(100, Created, Gps)));
        var after = Vehicle1((Speed, Instance(10, Created)), (Speed, Instance(101, Changed, Gps)));

        var write = ChangeProjection.Project(Update(before, after, Speed))!;

        var recorded = Assert.Single(write.Instances);
        Assert.Equal(Gps, recorded.Instance.DatasetId);
        Assert.Equal(101, (int)recorded.Instance.Value!);
    }

    [Fact]
    public void An_update_that_adds_an_attribute_or_a_datasetId_records_the_new_instance()
    {
        var before = Vehicle1((Speed, Instance(10, Created)));
        var after = Vehicle1((Speed, Instance(10, Created)), (Speed, Instance(100, Changed, Gps)), (Fuel, Instance(40, Changed)));

        var write = ChangeProjection.Project(Update(before, after, Speed, Fuel))!;

        Assert.Equal([(Speed, (string?)Gps), (Fuel, null)], write.Instances.Select(i => (i.Attribute, i.Instance.DatasetId)));
    }

    [Fact]
    public void An_update_without_a_previous_state_records_every_changed_instance()
    {
        var after = Vehicle1((Speed, Instance(10, Changed)), (Speed, Instance(100, Changed, Gps)));

        var write = ChangeProjection.Project(new EntityChange(ChangeKind.Update, after.Id, null, after, [Speed], Changed))!;

        Assert.Equal(2, write.Instances.Count);
    }

    [Fact]
    public void Removing_an_attribute_records_a_deletion_of_each_of_its_instances()
    {
        var observed = Instance(10, Created, observedAt: "2024-03-01T00:00:00Z");
        observed.UnitCode = "KMH";
        var before = Vehicle1((Speed, observed), (Speed, Instance(100, Created, Gps)), (Fuel, Instance(40, Created)));
        var after = Vehicle1((Fuel, Instance(40, Created)));

        var write = ChangeProjection.Project(Update(before, after, Speed))!;

        Assert.Equal(2, write.Instances.Count);
        Assert.All(write.Instances, AssertDeletion);
        Assert.Equal([null, Gps], write.Instances.Select(i => i.Instance.DatasetId));
        // The deletion keeps what was deleted, except observedAt.
        Assert.Equal(10, (int)write.Instances[0].Instance.Value!);
        Assert.Equal("KMH", write.Instances[0].Instance.UnitCode);
        Assert.Equal(AttributeKind.Property, write.Instances[0].Instance.Kind);
    }

    [Fact]
    public void Removing_one_datasetId_records_its_deletion_only()
    {
        var before = Vehicle1((Speed, Instance(10, Created)), (Speed, Instance(100, Created, Gps)));
        var after = Vehicle1((Speed, Instance(10, Created)));

        var write = ChangeProjection.Project(Update(before, after, Speed))!;

        var deletion = Assert.Single(write.Instances);
        AssertDeletion(deletion);
        Assert.Equal(Gps, deletion.Instance.DatasetId);
    }

    [Fact]
    public void A_deletion_does_not_change_the_instance_of_the_previous_state()
    {
        var deleted = Instance(10, Created, observedAt: "2024-03-01T00:00:00Z");
        var before = Vehicle1((Speed, deleted));
        var after = Vehicle1();

        ChangeProjection.Project(Update(before, after, Speed));

        Assert.Equal("2024-03-01T00:00:00Z", deleted.ObservedAt);
        Assert.Equal(Created, deleted.ModifiedAt);
    }

    [Fact]
    public void An_entity_delete_records_a_deletion_of_every_instance_and_the_deletion_of_the_entity()
    {
        var before = Vehicle1((Speed, Instance(10, Created)), (Speed, Instance(100, Created, Gps)), (Fuel, Instance(40, Created)));

        var write = ChangeProjection.Project(new EntityChange(ChangeKind.Delete, before.Id, before, null, [], Changed))!;

        Assert.Equal([(Speed, (string?)null), (Speed, Gps), (Fuel, null)], write.Instances.Select(i => (i.Attribute, i.Instance.DatasetId)));
        Assert.All(write.Instances, AssertDeletion);
        Assert.Equal(Changed, write.Entity.DeletedAt);
        Assert.Equal(Changed, write.Entity.ModifiedAt);
        Assert.Equal(Created, write.Entity.CreatedAt);
    }

    [Fact]
    public void A_deleted_instance_is_not_an_observation()
    {
        var before = Vehicle1((Speed, Instance(10, Created, observedAt: "2024-03-01T00:00:00Z")));

        var write = ChangeProjection.Project(new EntityChange(ChangeKind.Delete, before.Id, before, null, [], Changed))!;

        var deletion = Assert.Single(write.Instances);
        Assert.Null(deletion.TimeOf(TimeProperty.ObservedAt));
        Assert.Equal(Changed, deletion.TimeOf(TimeProperty.DeletedAt));
        Assert.Equal(Changed, deletion.TimeOf(TimeProperty.ModifiedAt));
    }

    [Fact]
    public void Changes_without_the_state_they_need_record_nothing()
    {
        var entity = Vehicle1((Speed, Instance(10, Created)));

        Assert.Null(ChangeProjection.Project(new EntityChange(ChangeKind.Create, entity.Id, null, null, [Speed], Created)));
        Assert.Null(ChangeProjection.Project(new EntityChange(ChangeKind.Update, entity.Id, entity, null, [Speed], Changed)));
        Assert.Null(ChangeProjection.Project(new EntityChange(ChangeKind.Delete, entity.Id, null, null, [], Changed)));
    }

    [Fact]
    public void An_update_that_changes_only_the_types_records_no_instance_but_the_new_types()
    {
        var before = Vehicle1((Speed, Instance(10, Created)));
        var after = Vehicle1((Speed, Instance(10, Created)));
        after.Types.Add("https://example.org/Car");

        var write = ChangeProjection.Project(Update(before, after))!;

        Assert.Empty(write.Instances);
        Assert.Equal([Vehicle, "https://example.org/Car"], write.Entity.Types);
    }

    private static void AssertDeletion(TemporalInstance instance)
    {
        Assert.Equal(Changed, instance.DeletedAt);
        Assert.Equal(Changed, instance.Instance.ModifiedAt);
        Assert.Null(instance.Instance.ObservedAt);
    }
}
