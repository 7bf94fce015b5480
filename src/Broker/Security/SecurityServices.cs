using System.Net;
using System.Threading.RateLimiting;
using Broker.Api.Problems;
using Broker.Problems;
using Broker.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Security;

/// <summary>The broker refuses to start as configured (the message says why and what to change).</summary>
public sealed class StartupRefusedException(string message) : Exception(message);

/// <summary>Authentication (bearer tokens, API keys), access control per tenant, rate limiting and the audit log.</summary>
public static class SecurityServices
{
    private const string SelectingScheme = "Credentials";

    public static readonly ErrorType TooManyRequests = new("about:blank", StatusCodes.Status429TooManyRequests, "Too many requests");

    public static WebApplicationBuilder AddBrokerSecurity(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions();
        var defined = DefinedRoles(options);
        Validate(options, defined);
        RefuseUnprotectedExposure(options, builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey), builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton<AuditLog>();
        var anonymous = !options.AuthenticationConfigured ? TenantGrants.Everything : TenantGrants.Parse(options.AnonymousRoles, defined);
        services.AddKeyedSingleton("anonymous", anonymous);
        services.AddSingleton<IReadOnlyDictionary<string, DefinedRole>>(defined);
        if (options.AuthenticationConfigured)
            AddAuthentication(services, options);
        if (options.RateLimit.PermitsPerSecond > 0)
            AddRateLimiting(services, options.RateLimit);
        return builder;
    }

    public static WebApplication UseBrokerSecurity(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<SecurityOptions>();
        app.UseMiddleware<AccessControlMiddleware>(options, app.Services.GetRequiredKeyedService<TenantGrants>("anonymous"),
            app.Services.GetRequiredService<IReadOnlyDictionary<string, DefinedRole>>(), app.Services.GetRequiredService<AuditLog>());
        if (options.RateLimit.PermitsPerSecond > 0)
            app.UseRateLimiter();
        return app;
    }

    /// <summary>Whether the configuration restricts a role to some entities, so that the stores must apply restrictions.</summary>
    public static bool RestrictsEntities(IConfiguration configuration) =>
        configuration.GetSection(SecurityOptions.SectionName + ":Roles").GetChildren().Any();

    private static Dictionary<string, DefinedRole> DefinedRoles(SecurityOptions options)
    {
        var defined = new Dictionary<string, DefinedRole>(StringComparer.Ordinal);
        foreach (var (name, role) in options.Roles)
        {
            var where = $"Security:Roles:{name}";
            if (TenantGrants.ParseGrant(name) is not null)
                throw new StartupRefusedException($"{where}: '{name}' is a role of the broker itself; give the defined role a name of its own.");
            if (role.Grants.Length == 0)
                throw new StartupRefusedException($"{where}: Grants is empty; name the broker roles it grants, such as write@luebeck.");
            foreach (var grant in role.Grants)
            {
                if (TenantGrants.ParseGrant(grant) is null)
                    throw new StartupRefusedException($"{where}: '{grant}' is not a role; use read, write, subscribe or admin, optionally followed by @tenant.");
            }
            if (role.Types is { Length: 0 } || role.Types?.Any(string.IsNullOrWhiteSpace) == true)
                throw new StartupRefusedException($"{where}: Types names no type; leave it out to allow any type.");
            System.Text.RegularExpressions.Regex? idPattern = null;
            if (role.IdPattern is { } pattern)
            {
                try
                {
                    idPattern = AllowedEntities.WholeIdPattern(pattern, Query.Parsing.QueryParser.DefaultRegexTimeout);
                }
                catch (ArgumentException e)
                {
                    throw new StartupRefusedException($"{where}: IdPattern '{pattern}' is not a regular expression: {e.Message}");
                }
            }
            var types = role.Types?.Select(t => t.Contains(':', StringComparison.Ordinal) ? t : Ontology.Model.NgsiLd.DefaultContextVocab + t).ToArray();
            var restriction = types is null && idPattern is null ? null : new EntityRestriction([new AllowedEntities(types, idPattern)]);
            defined[name] = new DefinedRole(role.Grants, restriction);
        }
        return defined;
    }

    private static void Validate(SecurityOptions options, Dictionary<string, DefinedRole> defined)
    {
        foreach (var key in options.ApiKeys)
        {
            if (string.IsNullOrWhiteSpace(key.Name) || key.Sha256.Length != 64 || !key.Sha256.All(char.IsAsciiHexDigit))
                throw new StartupRefusedException($"Security:ApiKeys: the entry '{key.Name}' needs a Name and the 64 hexadecimal digits of its key's SHA-256 (as 'Broker apikey' prints them).");
        }
        foreach (var role in options.ApiKeys.SelectMany(k => k.Roles).Concat(options.AnonymousRoles))
        {
            if (!defined.ContainsKey(role) && TenantGrants.ParseGrant(role) is null)
                throw new StartupRefusedException($"Security: '{role}' is not a role; use read, write, subscribe or admin, optionally followed by @tenant, or a role defined in Security:Roles.");
        }
        if (options.Jwt is { Configured: true } jwt)
        {
            if (string.IsNullOrWhiteSpace(jwt.Audience))
                throw new StartupRefusedException("Security:Jwt:Audience is not set: a token is accepted only when it names this broker as its audience.");
            if (jwt.Authority is null && string.IsNullOrWhiteSpace(jwt.Issuer))
                throw new StartupRefusedException("Security:Jwt:Issuer is not set: with JwksUrl or JwksFile, the trusted issuer must be named.");
            if (jwt.JwksFile is { } file && !File.Exists(file))
                throw new StartupRefusedException($"Security:Jwt:JwksFile '{file}' does not exist.");
        }
    }

    /// <summary>
    /// Secure by default: bound to an address other hosts can reach, with no authentication configured, the broker
    /// starts only when anonymous access is allowed explicitly (Security:AllowAnonymous).
    /// </summary>
    private static void RefuseUnprotectedExposure(SecurityOptions options, string? urls, IConfiguration configuration)
    {
        if (options.AuthenticationConfigured || options.AllowAnonymous)
            return;
        var addresses = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        foreach (var address in addresses)
        {
            if (!IsLoopback(address))
                throw new StartupRefusedException(
                    $"The broker would listen on {address}, which other hosts can reach, and no authentication is configured. " +
                    "Configure Security:Jwt or Security:ApiKeys, listen on localhost, or allow anonymous access explicitly with Security:AllowAnonymous=true " +
                    "(--Security:AllowAnonymous true, or the environment variable Security__AllowAnonymous=true).");
        }
    }

    public static bool IsLoopback(string address)
    {
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return false;
        }
        if (binding.IsUnixPipe || binding.IsNamedPipe)
            return true;
        var host = binding.Host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    private static void AddAuthentication(IServiceCollection services, SecurityOptions options)
    {
        var authentication = services.AddAuthentication(SelectingScheme);
        var jwt = options.Jwt is { Configured: true } configured ? configured : null;
        authentication.AddPolicyScheme(SelectingScheme, "Bearer token or API key", scheme => scheme.ForwardDefaultSelector = http =>
            jwt is null || ApiKeyAuthenticationHandler.KeyOf(http.Request) is not null ? ApiKeyAuthenticationHandler.SchemeName : JwtBearerDefaults.AuthenticationScheme);
        authentication.AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { });
        if (jwt is null)
            return;
        authentication.AddJwtBearer(bearer =>
        {
            bearer.MapInboundClaims = false;
            bearer.Audience = jwt.Audience;
            bearer.RequireHttpsMetadata = jwt.RequireHttpsMetadata;
            var validation = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidIssuer = jwt.Issuer ?? jwt.Authority,
                ValidateAudience = true,
                ValidAudience = jwt.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256],
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "preferred_username",
            };
            if (jwt.JwksFile is { } file)
            {
                validation.IssuerSigningKeys = new JsonWebKeySet(File.ReadAllText(file)).GetSigningKeys();
            }
            else if (jwt.JwksUrl is { } url)
            {
                bearer.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(url, new JwksRetriever(),
                    new HttpDocumentRetriever { RequireHttps = jwt.RequireHttpsMetadata });
            }
            else
            {
                bearer.Authority = jwt.Authority;
            }
            bearer.TokenValidationParameters = validation;
            bearer.TokenHandlers.Clear();
            bearer.TokenHandlers.Add(new ValidatedTokenCache(TimeProvider.System));
            bearer.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    if (context.Principal?.Identity is System.Security.Claims.ClaimsIdentity identity)
                    {
                        foreach (var role in JwtRoles.Of(context.Principal, jwt.RoleClaims).ToList())
                            identity.AddClaim(new System.Security.Claims.Claim(BrokerClaims.Role, role));
                    }
                    return Task.CompletedTask;
                },
            };
        });
    }

    private static void AddRateLimiting(IServiceCollection services, RateLimitOptions limit)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var client = http.User.Identity?.IsAuthenticated == true ? "client:" + http.User.Identity.Name : "address:" + http.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limit.Burst > 0 ? limit.Burst : limit.PermitsPerSecond,
                    TokensPerPeriod = limit.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await ProblemDetailsMiddleware.WriteAsync(context.HttpContext, TooManyRequests,
                    $"This client made more than {limit.PermitsPerSecond} requests per second; try again in a second.", ("Retry-After", "1"));
            };
        });
    }
}
