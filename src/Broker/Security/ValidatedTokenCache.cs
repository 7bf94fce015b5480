using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Security;

/// <summary>
/// Validates bearer tokens as <see cref="JsonWebTokenHandler"/> does, and remembers a token that validated for up to
/// <see cref="MaxAge"/> (never past its expiry), so that a client sending the same token again is not verified again:
/// the signature check is most of what authentication costs. A key the issuer withdraws stops admitting tokens it
/// signed within <see cref="MaxAge"/>. Tokens that fail are never remembered.
/// </summary>
public sealed class ValidatedTokenCache(TimeProvider clock) : JsonWebTokenHandler
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, (TokenValidationResult Result, DateTimeOffset Until)> _validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = clock.GetUtcNow();
        if (_validated.TryGetValue(token, out var known))
        {
            if (known.Until > now)
                return Copy(known.Result);
            _validated.TryRemove(token, out _);
        }
        var result = await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (result.IsValid && result.SecurityToken is JsonWebToken validated)
        {
            var expires = new DateTimeOffset(DateTime.SpecifyKind(validated.ValidTo, DateTimeKind.Utc));
            var until = expires < now + MaxAge ? expires : now + MaxAge;
            if (_validated.Count >= Capacity)
                _validated.Clear();
            // The request's own result is handed on and its identity gets the broker's role claims: the cache keeps a copy.
            _validated[token] = (Copy(result), until);
        }
        return result;
    }

    private static TokenValidationResult Copy(TokenValidationResult result) => new()
    {
        IsValid = true,
        ClaimsIdentity = result.ClaimsIdentity.Clone(),
        SecurityToken = result.SecurityToken,
        Issuer = result.Issuer,
        TokenType = result.TokenType,
    };
}
