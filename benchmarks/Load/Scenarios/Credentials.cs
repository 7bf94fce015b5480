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

    private readonly string _jwksFile = Path.Combine(Path.GetTempPath(), "load-jwks-" + Guid.NewGuid().ToString("N") + ".json");
    private readonly string _apiKey = "ngsild_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
    private readonly string _jwks = "";

    public Credentials(CredentialKind kind)
    {
        Kind = kind;
        if (kind != CredentialKind.Jwt)
            return;
        using var rsa = RSA.Create(2048);
        var key = rsa.ExportParameters(false);
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
        _jwks = jwks.ToJsonString();
        Token = SignedToken(rsa);
    }

    public CredentialKind Kind { get; }

    public string? Token { get; }

    /// <summary>The broker's arguments for a run; the JWKS file is written again for each, since a run's end deletes it (see <see cref="Dispose"/>).</summary>
    public IReadOnlyList<string> BrokerArguments => Kind switch
    {
        CredentialKind.Jwt => [.. WriteJwks(), "--Security:Jwt:Issuer", Issuer, "--Security:Jwt:Audience", Audience,
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
    private static string SignedToken(RSA rsa)
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
        var signature = rsa.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signed + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private string[] WriteJwks()
    {
        File.WriteAllText(_jwksFile, _jwks);
        return ["--Security:Jwt:JwksFile", _jwksFile];
    }

    /// <summary>Deletes the JWKS file. The scenario runs once per store and is disposed after each run: the key stays.</summary>
    public void Dispose() => File.Delete(_jwksFile);
}
