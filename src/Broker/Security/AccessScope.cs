using Broker.Storage;

namespace Broker.Security;

/// <summary>
/// The entities the current request may reach, for the stores' access decorators (<see cref="RestrictedEntityStore"/>,
/// <see cref="RestrictedTemporalStore"/>). It flows with the request's asynchronous calls; work that runs outside a
/// request (projection, notification) is unrestricted, except where it takes on a subscription's restriction.
/// </summary>
public static class AccessScope
{
    private static readonly AsyncLocal<EntityRestriction?> Restriction = new();

    /// <summary>The restriction of the request being served; null when it may reach every entity.</summary>
    public static EntityRestriction? Current => Restriction.Value;

    /// <summary>Restricts what follows, until the returned scope is disposed, to <paramref name="restriction"/>.</summary>
    public static Scope Enter(EntityRestriction? restriction)
    {
        var previous = Restriction.Value;
        Restriction.Value = restriction;
        return new Scope(previous);
    }

    public readonly struct Scope(EntityRestriction? previous) : IDisposable
    {
        public void Dispose() => Restriction.Value = previous;
    }
}
