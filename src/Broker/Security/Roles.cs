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
/// tenant luebeck, "write@" in the default tenant (no NGSILD-Tenant header). Other names (an identity provider's own
/// roles such as offline_access) grant nothing.
/// </summary>
public sealed class TenantGrants
{
    private readonly Dictionary<string, BrokerRoles> _byTenant = new(StringComparer.Ordinal);
    private BrokerRoles _everyTenant;

    public static readonly TenantGrants Nothing = new();

    public static TenantGrants Everything { get; } = Parse(["admin"]);

    public static TenantGrants Parse(IEnumerable<string> names)
    {
        var grants = new TenantGrants();
        foreach (var name in names)
        {
            var at = name.IndexOf('@', StringComparison.Ordinal);
            if (RoleOf(at < 0 ? name : name[..at]) is not { } role)
                continue;
            if (at < 0 || name[(at + 1)..] == "*")
                grants._everyTenant |= role;
            else
                grants._byTenant[name[(at + 1)..]] = grants._byTenant.GetValueOrDefault(name[(at + 1)..]) | role;
        }
        return grants;
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

    public bool Allows(string tenant, BrokerRoles role) => ((_everyTenant | _byTenant.GetValueOrDefault(tenant)) & role) == role;

    public bool IsEmpty => _everyTenant == BrokerRoles.None && _byTenant.Count == 0;
}
