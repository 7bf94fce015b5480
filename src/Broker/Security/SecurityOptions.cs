namespace Broker.Security;

/// <summary>Who may use the broker (the "Security" section; see README, "Security").</summary>
public sealed class SecurityOptions
{
    public const string SectionName = "Security";

    /// <summary>
    /// Requests without credentials are served with every role. Needed to bind to a non-loopback address without
    /// authentication; with authentication configured, <see cref="AnonymousRoles"/> says what anonymous requests may do.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The roles of requests without credentials while authentication is configured (for example "read@public").</summary>
    public string[] AnonymousRoles { get; set; } = [];

    public JwtOptions? Jwt { get; set; }

    public ApiKeyOptions[] ApiKeys { get; set; } = [];

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Roles this broker defines, by the name tokens and API keys carry: broker roles reaching only some entities.</summary>
    public Dictionary<string, RoleOptions> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether a bearer token or an API key is accepted at all.</summary>
    public bool AuthenticationConfigured => Jwt?.Configured == true || ApiKeys.Length > 0;
}

/// <summary>Bearer tokens (JWT, RS256 or ES256) of the city's identity provider.</summary>
public sealed class JwtOptions
{
    /// <summary>The issuer's URL (a Keycloak realm: https://idp.example.org/realms/luebeck); its OpenID metadata names the keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The URL of the signing keys (JWKS) when the issuer publishes no OpenID metadata.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>A file holding the signing keys (JWKS), for an issuer the broker cannot reach.</summary>
    public string? JwksFile { get; set; }

    /// <summary>The token's iss; the Authority when not set.</summary>
    public string? Issuer { get; set; }

    /// <summary>The token's aud that names this broker.</summary>
    public string? Audience { get; set; }

    /// <summary>The claims that hold roles: "roles", Keycloak's "realm_access.roles" or "resource_access.{client}.roles".</summary>
    public string[] RoleClaims { get; set; } = ["roles", "realm_access.roles"];

    /// <summary>Metadata and keys only over HTTPS (turn off for an issuer on loopback in tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Configured => Authority is not null || JwksUrl is not null || JwksFile is not null;
}

/// <summary>An API key of an adapter or a machine: only the SHA-256 of the key is configured.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who uses the key (shown in the audit log).</summary>
    public string Name { get; set; } = "";

    /// <summary>The key's SHA-256, in hexadecimal (as `Broker apikey` prints it).</summary>
    public string Sha256 { get; set; } = "";

    public string[] Roles { get; set; } = [];
}

/// <summary>Per-client rate limiting: a token bucket per authenticated client, or per address for anonymous requests.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second a client may make on average; 0 turns limiting off.</summary>
    public int PermitsPerSecond { get; set; }

    /// <summary>How many requests a client may make at once above the average; PermitsPerSecond when 0.</summary>
    public int Burst { get; set; }
}

/// <summary>
/// A role of the broker's own (Security:Roles:{name}): the broker roles it grants ("write@luebeck"), reaching only
/// entities of the given types and ids. A client holding it and an unrestricted grant of the same role is unrestricted.
/// </summary>
public sealed class RoleOptions
{
    public string[] Grants { get; set; } = [];

    /// <summary>Entity types as IRIs (a name without a colon is read in the core @context's default vocabulary); null for any type.</summary>
    public string[]? Types { get; set; }

    /// <summary>A regular expression that the whole entity id must match; null for any id.</summary>
    public string? IdPattern { get; set; }
}
