using System.Diagnostics.CodeAnalysis;
using Faultline.Core.Running;
using StackExchange.Redis;

namespace Faultline.Probes.Redis;

/// <summary>
/// The redis probe's connection-string reading for code that connects outside a probe (a service's own cache
/// client): a <c>redis://</c> / <c>rediss://</c> URL or a StackExchange.Redis options string, read the same way,
/// with the password handed to the redactor before anything can go wrong.
/// </summary>
public static class RedisConnectionStrings
{
    /// <summary>True with StackExchange.Redis options; false with what is wrong, already redacted.</summary>
    public static bool TryParse(string text, SecretRedactor redactor, [NotNullWhen(true)] out ConfigurationOptions? options, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(redactor);
        options = null;
        problem = RedisConnectionString.Parse(text, redactor, out var settings);
        if (problem is not null)
        {
            problem = redactor.Redact(problem);
            return false;
        }

        options = settings.Options;
        return true;
    }
}
