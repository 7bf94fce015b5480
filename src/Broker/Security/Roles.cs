using Broker.Storage;

namespace Broker.Security;

/// <summary>What a client may do in a tenant. Admin includes every other role.</summary>
[Flags]
public enum BrokerRoles
{
    None = 0,

    /// <summary>Retrieve and query entities, their history, types and attributes, and registrations.</summary>
    Read = 1,

    /// <summary>Create, change and delete entities and their history.</summary>
    Write = 2,

    /// <summary>Manage subscriptions and csourceSubscriptions (their notifications carry the data read would show).</summary>
    Subscribe = 4,

    /// <summary>Manage context source registrations and hosted @contexts, and everything else.</summary>
    Admin = 8 | Read | Write | Subscribe,
}

/// <summary>
/// The roles a client holds, per tenant, read from role names: "write" in every tenant, "write@luebeck" in the
/// tenant luebeck, "write@" in the default tenant (no NGSILD-Tenant header), or a role the configuration defines
/// (Security:Roles), which grants such roles restricted to some entity types or ids. Other names (an identity
/// provider's own roles such as offline_access) grant nothing.
/// </summary>
public sealed class TenantGrants
{
    /// <summary>Roles in one tenant (null: every tenant), reaching only the entities of a restriction (null: all).</summary>
    private sealed record Grant(string? Tenant, BrokerRoles Roles, EntityRestriction? Restriction);

    private readonly List<Grant> _grants = [];

    public static readonly TenantGrants Nothing = new();

    public static TenantGrants Everything { get; } = Parse(["admin"]);

    public static TenantGrants Parse(IEnumerable<string> names, IReadOnlyDictionary<string, DefinedRole>? defined = null)
    {
        var grants = new TenantGrants();
        foreach (var name in names)
        {
            if (defined is not null && defined.TryGetValue(name, out var role))
            {
                foreach (var granted in role.Grants)
                    grants.Add(granted, role.Restriction);
            }
            else
            {
                grants.Add(name, null);
            }
        }
        return grants;
    }

    private void Add(string name, EntityRestriction? restriction)
    {
        if (ParseGrant(name) is not var (tenant, role))
            return;
        _grants.Add(new Grant(tenant, role, restriction));
    }

    /// <summary>The tenant (null for every tenant) and role a name such as "write@luebeck" grants, or null when it names none of the broker's roles.</summary>
    public static (string? Tenant, BrokerRoles Role)? ParseGrant(string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (RoleOf(at < 0 ? name : name[..at]) is not { } role)
            return null;
        return (at < 0 || name[(at + 1)..] == "*" ? null : name[(at + 1)..], role);
    }

    /// <summary>A role name (case-insensitive), or null when it is none of the broker's.</summary>
    public static BrokerRoles? RoleOf(string name) => name.ToLowerInvariant() switch
    {
        "read" => BrokerRoles.Read,
        "write" => BrokerRoles.Write,
        "subscribe" => BrokerRoles.Subscribe,
        "admin" => BrokerRoles.Admin,
        _ => null,
    };

    public bool Allows(string tenant, BrokerRoles role) => Admits(tenant, role, out _);

    /// <summary>
    /// Whether the client holds <paramref name="role"/> in <paramref name="tenant"/>, and the entities it reaches with it:
    /// null when one of its grants is unrestricted, otherwise those any of its restricted grants reaches.
    /// </summary>
    public bool Admits(string tenant, BrokerRoles role, out EntityRestriction? restriction)
    {
        restriction = null;
        var admitted = false;
        foreach (var grant in _grants)
        {
            if ((grant.Roles & role) != role || (grant.Tenant is not null && grant.Tenant != tenant))
                continue;
            if (grant.Restriction is null)
            {
                restriction = null;
                return true;
            }
            restriction = restriction is null ? grant.Restriction : restriction.Or(grant.Restriction);
            admitted = true;
        }
        return admitted;
    }

    public bool IsEmpty => _grants.Count == 0;
}

/// <summary>A role the configuration defines (Security:Roles): broker roles, optionally reaching only some entities.</summary>
public sealed record DefinedRole(IReadOnlyList<string> Grants, EntityRestriction? Restriction);
