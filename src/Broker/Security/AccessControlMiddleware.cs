using System.Security.Claims;
using Broker.Api.Http;
using Broker.Api.Problems;
using Broker.Problems;
using Microsoft.AspNetCore.Authentication;

namespace Broker.Security;

/// <summary>
/// Admits a request when its client holds the role the request needs (<see cref="AccessRules"/>) in the request's tenant;
/// otherwise answers 401 (no or refused credentials) or 403 (credentials without the role). Every denial and every
/// write that reaches the API is written to the audit log.
/// </summary>
public sealed class AccessControlMiddleware(RequestDelegate next, SecurityOptions options, TenantGrants anonymous,
    IReadOnlyDictionary<string, DefinedRole> defined, AuditLog audit)
{
    public static readonly ErrorType Unauthorized = new("about:blank", StatusCodes.Status401Unauthorized, "Unauthorized");

    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        var required = AccessRules.Required(request.Method, request.Path.Value ?? "/");
        if (required == BrokerRoles.None)
        {
            await next(http);
            return;
        }
        var tenant = NgsiRequest.ReadTenant(request);
        Exception? refused = null;
        var authenticated = false;
        if (options.AuthenticationConfigured)
        {
            var result = await http.AuthenticateAsync();
            if (result.Succeeded)
            {
                http.User = result.Principal;
                authenticated = true;
            }
            refused = result.Failure;
        }
        var grants = authenticated ? TenantGrants.Parse(http.User.FindAll(BrokerClaims.Role).Select(c => c.Value), defined) : anonymous;
        if (refused is not null || !grants.Admits(tenant, required, out var restriction))
        {
            await DenyAsync(http, tenant, required, authenticated, refused);
            return;
        }
        using (AccessScope.Enter(restriction))
            await next(http);
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)))
            audit.Write(ClientOf(http.User, authenticated), tenant, request.Method, request.Path.Value ?? "", http.Response.StatusCode);
    }

    private async Task DenyAsync(HttpContext http, string tenant, BrokerRoles required, bool authenticated, Exception? refused)
    {
        var request = http.Request;
        var role = required.ToString().ToLowerInvariant();
        var tenantName = tenant.Length == 0 ? "the default tenant" : $"tenant '{tenant}'";
        var who = ClientOf(http.User, authenticated);
        audit.Denied(who, tenant, request.Method, request.Path.Value ?? "", authenticated ? 403 : 401, refused is not null ? Reason(refused) : $"no {role} role");
        if (authenticated)
        {
            await ProblemDetailsMiddleware.WriteAsync(http, ErrorType.Forbidden, $"{who} has no {role} role in {tenantName}, which this request needs.");
            return;
        }
        var challenge = options.Jwt?.Configured == true
            ? refused is null ? "Bearer realm=\"ngsi-ld\"" : "Bearer realm=\"ngsi-ld\", error=\"invalid_token\""
            : "ApiKey realm=\"ngsi-ld\"";
        var detail = refused is not null
            ? $"The credentials were refused: {Reason(refused)}."
            : $"This request needs credentials (a bearer token or an API key) with the {role} role in {tenantName}.";
        await ProblemDetailsMiddleware.WriteAsync(http, Unauthorized, detail, ("WWW-Authenticate", challenge));
    }

    /// <summary>Why credentials were refused, in words that reveal nothing of the keys.</summary>
    private static string Reason(Exception refused) => refused switch
    {
        Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException => "the token has expired",
        Microsoft.IdentityModel.Tokens.SecurityTokenNotYetValidException => "the token is not valid yet",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException => "the token is not meant for this broker (audience)",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidIssuerException => "the token was issued by an issuer this broker does not trust",
        Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException or Microsoft.IdentityModel.Tokens.SecurityTokenInvalidSignatureException => "the token's signature does not verify",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAlgorithmException => "the token is signed with an algorithm this broker does not accept (RS256, ES256)",
        Microsoft.IdentityModel.Tokens.SecurityTokenMalformedException => "the token is malformed",
        Microsoft.IdentityModel.Tokens.SecurityTokenException => "the token is not valid",
        _ => refused.Message.Length <= 100 && !refused.Message.Contains("IDX", StringComparison.Ordinal) ? refused.Message.TrimEnd('.') : "the credentials are not valid",
    };

    private static string ClientOf(ClaimsPrincipal user, bool authenticated)
    {
        if (!authenticated)
            return "anonymous";
        return user.FindFirst(ClaimTypes.Name)?.Value
            ?? user.FindFirst("preferred_username")?.Value
            ?? user.FindFirst("client_id")?.Value
            ?? user.FindFirst("sub")?.Value
            ?? "unnamed client";
    }
}

/// <summary>The audit log (category Broker.Audit): every write and every denied request, with who, tenant, what and when.</summary>
public sealed partial class AuditLog(ILoggerFactory loggers, TimeProvider clock)
{
    public const string Category = "Broker.Audit";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    public void Write(string client, string tenant, string method, string path, int status) =>
        LogWrite(_logger, client, tenant, method, path, status, clock.GetUtcNow());

    public void Denied(string client, string tenant, string method, string path, int status, string reason) =>
        LogDenied(_logger, client, tenant, method, path, status, reason, clock.GetUtcNow());

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "write by {Client} in tenant '{Tenant}': {Method} {Path} -> {Status} at {At:O}")]
    private static partial void LogWrite(ILogger logger, string client, string tenant, string method, string path, int status, DateTimeOffset at);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "denied {Client} in tenant '{Tenant}': {Method} {Path} -> {Status} ({Reason}) at {At:O}")]
    private static partial void LogDenied(ILogger logger, string client, string tenant, string method, string path, int status, string reason, DateTimeOffset at);
}
