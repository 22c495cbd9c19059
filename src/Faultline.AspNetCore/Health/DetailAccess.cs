using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Health;

/// <summary>
/// Who may see component and timeline detail: everyone in Development; elsewhere a caller presenting
/// <c>Faultline:ApiKey</c> in <c>X-Api-Key</c> (compared in constant time) or satisfying
/// <see cref="HealthOptions.DetailPolicy"/>. Everyone else gets the status word only.
/// </summary>
internal static class DetailAccess
{
    public const string ApiKeyHeader = "X-Api-Key";

    public static async Task<bool> AllowedAsync(HttpContext context)
    {
        var services = context.RequestServices;
        if (services.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            return true;
        }

        var options = services.GetRequiredService<IOptions<FaultlineOptions>>().Value;
        if (!string.IsNullOrEmpty(options.ApiKey)
            && context.Request.Headers.TryGetValue(ApiKeyHeader, out var presented)
            && presented.Count == 1
            && KeysMatch(presented[0], options.ApiKey))
        {
            return true;
        }

        if (options.Health.DetailPolicy is { Length: > 0 } policy && services.GetService<IAuthorizationService>() is { } authorization)
        {
            var result = await authorization.AuthorizeAsync(context.User, policy).ConfigureAwait(false);
            return result.Succeeded;
        }

        return false;
    }

    /// <summary>Compares SHA-256 digests in constant time, so neither the content nor the length of the key leaks through timing.</summary>
    internal static bool KeysMatch(string? presented, string expected)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var a = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
