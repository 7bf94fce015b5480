using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Broker.Security;

/// <summary>API keys: random 256-bit keys, of which the broker keeps only the SHA-256 (a key this long needs no slow hash).</summary>
public static class ApiKeys
{
    /// <summary>The prefix of every key, so a leaked one is easy to recognize in logs and repositories.</summary>
    public const string Prefix = "ngsild_";

    public static string NewKey() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Prints a new key and the configuration entry that admits it (the key itself is shown once and stored nowhere).</summary>
    public static int Issue(string[] args, TextWriter output, TextWriter error)
    {
        string? name = null;
        var roles = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--name" && i + 1 < args.Length)
                name = args[++i];
            else if (args[i] == "--role" && i + 1 < args.Length)
                roles.Add(args[++i]);
            else
            {
                error.WriteLine($"Unknown argument '{args[i]}'. Usage: Broker apikey --name <who> --role <role[@tenant]> [--role ...]");
                return 2;
            }
        }
        if (string.IsNullOrWhiteSpace(name) || roles.Count == 0)
        {
            error.WriteLine("Usage: Broker apikey --name <who> --role <role[@tenant]> [--role ...]   (roles: read, write, subscribe, admin)");
            return 2;
        }
        foreach (var role in roles)
        {
            var at = role.IndexOf('@', StringComparison.Ordinal);
            if (TenantGrants.RoleOf(at < 0 ? role : role[..at]) is null)
            {
                error.WriteLine($"'{role}' is not a role: use read, write, subscribe or admin, optionally followed by @tenant.");
                return 2;
            }
        }
        var key = NewKey();
        output.WriteLine($"API key for {name} (shown only now; give it to {name} and keep no copy):");
        output.WriteLine();
        output.WriteLine("  " + key);
        output.WriteLine();
        output.WriteLine("Add this entry to Security:ApiKeys (appsettings.json):");
        output.WriteLine();
        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { Name = name, Sha256 = HashOf(key), Roles = roles }));
        return 0;
    }
}

/// <summary>Authenticates "Authorization: ApiKey &lt;key&gt;" or "X-API-Key: &lt;key&gt;" against the configured hashes.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SecurityOptions security)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    public const string HeaderName = "X-API-Key";

    private readonly (byte[] Hash, ApiKeyOptions Key)[] _keys = [.. security.ApiKeys.Select(k => (Convert.FromHexString(k.Sha256), k))];

    /// <summary>The key of the request, if it carries one.</summary>
    public static string? KeyOf(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header))
            return header.ToString();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase) ? authorization[(SchemeName.Length + 1)..].Trim() : null;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (KeyOf(Request) is not { } key)
            return Task.FromResult(AuthenticateResult.NoResult());
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        ApiKeyOptions? found = null;
        foreach (var (expected, entry) in _keys)
        {
            // Every configured hash is compared, each in fixed time: the time taken tells nothing about the keys.
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
                found = entry;
        }
        if (found is null)
            return Task.FromResult(AuthenticateResult.Fail("The API key is not known."));
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "apikey:" + found.Name), .. found.Roles.Select(r => new Claim(BrokerClaims.Role, r))], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}

/// <summary>The claim the broker reads its roles from, once each scheme has put them there.</summary>
public static class BrokerClaims
{
    public const string Role = "ngsi-ld:role";
}
