using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Security;

/// <summary>The broker's roles in a validated token: the values of the configured role claims, nested ones by their path.</summary>
public static class JwtRoles
{
    public static IEnumerable<string> Of(ClaimsPrincipal principal, IEnumerable<string> roleClaims)
    {
        foreach (var path in roleClaims)
        {
            var segments = path.Split('.');
            foreach (var claim in principal.FindAll(segments[0]))
            {
                if (segments.Length == 1)
                {
                    foreach (var value in ValuesOf(claim.Value))
                        yield return value;
                    continue;
                }
                JsonDocument document;
                try
                {
                    document = JsonDocument.Parse(claim.Value);
                }
                catch (JsonException)
                {
                    continue;
                }
                using (document)
                {
                    var element = document.RootElement;
                    var found = true;
                    foreach (var segment in segments.Skip(1))
                    {
                        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(segment, out element))
                        {
                            found = false;
                            break;
                        }
                    }
                    if (!found)
                        continue;
                    if (element.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var item in element.EnumerateArray())
                        {
                            if (item.ValueKind == JsonValueKind.String)
                                yield return item.GetString()!;
                        }
                    }
                    else if (element.ValueKind == JsonValueKind.String)
                    {
                        yield return element.GetString()!;
                    }
                }
            }
        }
    }

    /// <summary>A claim's value: one role, or a JSON array of them (a token's array of one element may arrive as either).</summary>
    private static IEnumerable<string> ValuesOf(string value)
    {
        if (!value.StartsWith('['))
            return [value];
        try
        {
            return JsonSerializer.Deserialize<string[]>(value) ?? [];
        }
        catch (JsonException)
        {
            return [value];
        }
    }
}

/// <summary>Signing keys from a JWKS document (an issuer without OpenID metadata), refreshed as the configuration manager decides.</summary>
internal sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
    {
        var document = await retriever.GetDocumentAsync(address, cancel).ConfigureAwait(false);
        var configuration = new OpenIdConnectConfiguration();
        foreach (var key in new JsonWebKeySet(document).GetSigningKeys())
            configuration.SigningKeys.Add(key);
        return configuration;
    }
}
