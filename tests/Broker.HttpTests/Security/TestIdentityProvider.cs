using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.HttpTests.Security;

/// <summary>The city's identity provider as the tests play it: RSA and EC signing keys published in a JWKS file, and tokens signed with them.</summary>
public sealed class TestIdentityProvider : IDisposable
{
    public const string Issuer = "https://idp.test.luebeck.de/realms/luebeck";
    public const string Audience = "ngsi-ld-broker";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RSA _untrusted = RSA.Create(2048);

    public TestIdentityProvider()
    {
        JwksFile = Path.Combine(Path.GetTempPath(), "broker-jwks-" + Guid.NewGuid().ToString("N") + ".json");
        var rsa = _rsa.ExportParameters(false);
        var ec = _ec.ExportParameters(false);
        var keys = new JsonArray(
            new JsonObject { ["kty"] = "RSA", ["kid"] = "rsa-1", ["use"] = "sig", ["alg"] = "RS256", ["n"] = Base64UrlEncoder.Encode(rsa.Modulus), ["e"] = Base64UrlEncoder.Encode(rsa.Exponent) },
            new JsonObject { ["kty"] = "EC", ["kid"] = "ec-1", ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(ec.Q.X), ["y"] = Base64UrlEncoder.Encode(ec.Q.Y) });
        File.WriteAllText(JwksFile, new JsonObject { ["keys"] = keys }.ToJsonString());
    }

    public string JwksFile { get; }

    public enum Key
    {
        Rsa,
        Ec,
        Untrusted,
        Symmetric,
    }

    /// <summary>A token of <paramref name="subject"/> with the roles in the "roles" claim (or Keycloak's realm_access.roles).</summary>
    public string Token(string subject, string[] roles, Key key = Key.Rsa, string audience = Audience, string issuer = Issuer,
        TimeSpan? expiresIn = null, bool keycloakRoles = false)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(5));
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["preferred_username"] = subject,
        };
        if (keycloakRoles)
            claims["realm_access"] = new Dictionary<string, object> { ["roles"] = roles.Append("offline_access").ToArray() };
        else
            claims["roles"] = roles;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires < now ? expires - TimeSpan.FromMinutes(10) : now,
            NotBefore = expires < now ? expires - TimeSpan.FromMinutes(10) : now,
            Expires = expires,
            Claims = claims,
            SigningCredentials = key switch
            {
                Key.Rsa => new SigningCredentials(new RsaSecurityKey(_rsa) { KeyId = "rsa-1" }, SecurityAlgorithms.RsaSha256),
                Key.Ec => new SigningCredentials(new ECDsaSecurityKey(_ec) { KeyId = "ec-1" }, SecurityAlgorithms.EcdsaSha256),
                Key.Untrusted => new SigningCredentials(new RsaSecurityKey(_untrusted) { KeyId = "rsa-1" }, SecurityAlgorithms.RsaSha256),
                _ => new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "rsa-1" }, SecurityAlgorithms.HmacSha256),
            },
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public void Dispose()
    {
        _rsa.Dispose();
        _ec.Dispose();
        _untrusted.Dispose();
        File.Delete(JwksFile);
    }
}

/// <summary>Log records of one category, kept for the assertions of the audit log tests.</summary>
public sealed class RecordingLoggerProvider(string category) : Microsoft.Extensions.Logging.ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, IReadOnlyList<KeyValuePair<string, object?>> State, string Message)> _records = new();

    public IReadOnlyList<(Microsoft.Extensions.Logging.LogLevel Level, IReadOnlyList<KeyValuePair<string, object?>> State, string Message)> Records => [.. _records];

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => categoryName == category ? new Recorder(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Recorder(RecordingLoggerProvider owner) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._records.Enqueue((logLevel, state as IReadOnlyList<KeyValuePair<string, object?>> ?? [], formatter(state, exception)));
    }
}

