using Ontology.Model;

namespace Broker.Entities.Representation;

/// <summary>
/// What a notification shows of a change besides the entity (clause 5.2.14, 5.8.6): the previous instance of each changed
/// instance (showChanges), the instances a change deleted, and the deletion time of a deleted entity. Instances are
/// told apart by reference: the entity written holds exactly the instances given here.
/// </summary>
public sealed class ChangeAnnotations
{
    private readonly Dictionary<AttributeInstance, AttributeInstance> _previous = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<AttributeInstance, DateTimeOffset> _deleted = new(ReferenceEqualityComparer.Instance);

    public DateTimeOffset? EntityDeletedAt { get; set; }

    public void SetPrevious(AttributeInstance instance, AttributeInstance previous) => _previous[instance] = previous;

    public void SetDeleted(AttributeInstance instance, DateTimeOffset at) => _deleted[instance] = at;

    public AttributeInstance? PreviousOf(AttributeInstance instance) => _previous.GetValueOrDefault(instance);

    public DateTimeOffset? DeletedAtOf(AttributeInstance instance) => _deleted.TryGetValue(instance, out var at) ? at : null;
}
