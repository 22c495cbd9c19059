using System.Globalization;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GoldenPath;

/// <summary>Issues HS256 JWTs signed with <c>Jwt:Secret</c>, and describes how they are validated.</summary>
internal sealed class TokenIssuer(SampleSettings settings, TimeProvider time)
{
    public const string Issuer = "goldenpath";
    public const string Audience = "goldenpath";
    public const string UserIdClaim = "uid";
    public const string UsernameClaim = JwtRegisteredClaimNames.Sub;

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly JsonWebTokenHandler _handler = new();

    public string Issue(UserRecord user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var key = settings.SigningKey ?? throw new InvalidOperationException("the configuration phase has not run yet");
        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(
            [
                new Claim(UsernameClaim, user.Username),
                new Claim(UserIdClaim, user.Id.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
            ]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Validation rules for the bearer handler; the key is looked up per token so it is read only after the configuration phase.</summary>
    public static TokenValidationParameters ValidationParameters(SampleSettings settings) => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        NameClaimType = UsernameClaim,
        ClockSkew = TimeSpan.FromSeconds(30),
        IssuerSigningKeyResolver = (_, _, _, _) => settings.SigningKey is { } key ? [key] : [],
    };

    /// <summary>The user a validated principal stands for; null when a claim is missing.</summary>
    public static ChatUser? UserOf(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var name = principal.FindFirst(UsernameClaim)?.Value;
        var id = principal.FindFirst(UserIdClaim)?.Value;
        return name is not null && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var userId)
            ? new ChatUser(userId, name)
            : null;
    }
}
