using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Benchmarks.Load.Scenarios;

public enum CredentialKind
{
    None,

    /// <summary>A bearer JWT signed with RS256, its key in a JWKS file the broker reads (Security:Jwt:JwksFile).</summary>
    Jwt,

    /// <summary>An API key (Security:ApiKeys), sent as X-API-Key.</summary>
    ApiKey,
}

/// <summary>
/// The credentials of an authenticated scenario and the broker arguments that trust them. The broker also serves
/// anonymous requests as admin (Security:AnonymousRoles), so that preloading needs no credentials; the measured requests
/// carry them and are authenticated one by one.
/// </summary>
public sealed class Credentials : IDisposable
{
    private const string Issuer = "https://idp.load.test/realms/luebeck";
    private const string Audience = "ngsi-ld-broker";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly string _jwksFile = Path.Combine(Path.GetTempPath(), "load-jwks-" + Guid.NewGuid().ToString("N") + ".json");
    private readonly string _apiKey = "ngsild_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    public Credentials(CredentialKind kind)
    {
        Kind = kind;
        if (kind != CredentialKind.Jwt)
            return;
        var key = _rsa.ExportParameters(false);
        var jwks = new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["kid"] = "load-1",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["n"] = Base64Url(key.Modulus!),
                ["e"] = Base64Url(key.Exponent!),
            }),
        };
        File.WriteAllText(_jwksFile, jwks.ToJsonString());
        Token = SignedToken();
    }

    public CredentialKind Kind { get; }

    public string? Token { get; }

    public IReadOnlyList<string> BrokerArguments => Kind switch
    {
        CredentialKind.Jwt => ["--Security:Jwt:JwksFile", _jwksFile, "--Security:Jwt:Issuer", Issuer, "--Security:Jwt:Audience", Audience,
            "--Security:AnonymousRoles:0", "admin"],
        CredentialKind.ApiKey => ["--Security:ApiKeys:0:Name", "load", "--Security:ApiKeys:0:Sha256", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(_apiKey))),
            "--Security:ApiKeys:0:Roles:0", "read", "--Security:AnonymousRoles:0", "admin"],
        _ => [],
    };

    public void Apply(HttpRequestMessage request)
    {
        switch (Kind)
        {
            case CredentialKind.Jwt:
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
                break;
            case CredentialKind.ApiKey:
                request.Headers.Add("X-API-Key", _apiKey);
                break;
        }
    }

    /// <summary>A token as Keycloak issues one: RS256, with issuer, audience, a lifetime of a day and the read role.</summary>
    private string SignedToken()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = "load-1" };
        var payload = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = "load-client",
            ["preferred_username"] = "load-client",
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 86_400,
            ["realm_access"] = new JsonObject { ["roles"] = new JsonArray("read", "offline_access") },
        };
        var signed = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = _rsa.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signed + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _rsa.Dispose();
        File.Delete(_jwksFile);
    }
}
