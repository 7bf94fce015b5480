namespace Broker.Security;

/// <summary>
/// The role each request needs, from its path and method. Anything under /ngsi-ld/ that no rule names needs admin, so a
/// resource added later is never open by mistake; health probes and the explorer's pages need none.
/// </summary>
public static class AccessRules
{
    private const string Api = "/ngsi-ld/v1/";

    public static BrokerRoles Required(string method, string path)
    {
        if (!path.StartsWith("/ngsi-ld/", StringComparison.OrdinalIgnoreCase))
            return BrokerRoles.None;
        var reads = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);
        if (!path.StartsWith(Api, StringComparison.OrdinalIgnoreCase))
            return BrokerRoles.Admin;
        var resource = path.AsSpan(Api.Length);
        var slash = resource.IndexOf('/');
        var family = slash < 0 ? resource : resource[..slash];
        switch (family)
        {
            case "entities":
            case "types":
            case "attributes":
                return reads ? BrokerRoles.Read : BrokerRoles.Write;
            case "entityOperations":
                return Is(resource, "entityOperations/query") ? BrokerRoles.Read : BrokerRoles.Write;
            case "temporal":
                if (Is(resource, "temporal/entityOperations/query"))
                    return BrokerRoles.Read;
                return reads ? BrokerRoles.Read : BrokerRoles.Write;
            case "subscriptions":
            case "csourceSubscriptions":
                return BrokerRoles.Subscribe;
            case "csourceRegistrations":
                return reads ? BrokerRoles.Read : BrokerRoles.Admin;
            case "jsonldContexts":
                // A @context holds term definitions, not data: JSON-LD processors fetch the ones responses link to without credentials.
                return reads ? BrokerRoles.None : BrokerRoles.Admin;
            default:
                return BrokerRoles.Admin;
        }
    }

    private static bool Is(ReadOnlySpan<char> resource, string expected) =>
        resource.TrimEnd('/').Equals(expected, StringComparison.OrdinalIgnoreCase);
}
