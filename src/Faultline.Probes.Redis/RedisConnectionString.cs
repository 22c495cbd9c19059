using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using StackExchange.Redis;

namespace Faultline.Probes.Redis;

/// <summary>A parsed redis connection string: StackExchange.Redis options plus what the probe needs to name the target.</summary>
internal sealed record RedisSettings
{
    public required ConfigurationOptions Options { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>The logical database; 0 when none is given.</summary>
    public int Database { get; init; }

    public bool Ssl { get; init; }

    /// <summary><c>host:port/db</c>, no credentials.</summary>
    public string Display => string.Create(CultureInfo.InvariantCulture, $"{Net.NetworkPreflight.FormatEndpoint(Host, Port)}/{Database}");
}

/// <summary>
/// Reads both forms users have: URLs (<c>redis://:pass@host:6379/0</c>, <c>redis://user:pass@host</c>,
/// <c>rediss://</c> = TLS) and StackExchange.Redis strings (<c>host:port,password=...,ssl=true</c>).
/// The password is handed to the redactor before anything can go wrong, and never echoed.
/// </summary>
internal static partial class RedisConnectionString
{
    public const int DefaultPort = 6379;

    public static bool TryParse(string? text, string targetName, SecretRedactor redactor, out RedisSettings settings, out ProbeError error) =>
        ConnectionUrl.TryRead(text, targetName, "redis", redactor, Parse, out settings, out error);

    /// <summary>Parses either form; returns what is wrong (not yet redacted), or null with <paramref name="settings"/> set.</summary>
    internal static string? Parse(string text, SecretRedactor redactor, out RedisSettings settings)
    {
        var trimmed = text.Trim();
        var isUrl = trimmed.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            || trimmed.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase);
        return isUrl ? FromUrl(trimmed, redactor, out settings) : FromOptions(trimmed, redactor, out settings);
    }

    private static string? FromUrl(string text, SecretRedactor redactor, out RedisSettings settings)
    {
        settings = null!;
        if (!ConnectionUrl.TryParse(text, DefaultPort, redactor, out var url))
        {
            return "expected redis://[user]:password@host:port/db or rediss:// for TLS (escape special characters in the password with %XX)";
        }

        if (url.Query.Length > 0)
        {
            return "URL parameters are not supported; use the key=value form (host:port,password=...,ssl=true) for other options";
        }

        var database = 0;
        if (url.Path.Length > 0 && !int.TryParse(url.Path, NumberStyles.None, CultureInfo.InvariantCulture, out database))
        {
            return $"the path must be a database number, got '/{url.Path}'";
        }

        var (host, port, user, password) = (url.Host, url.Port, url.User, url.Password);
        var ssl = url.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase);
        var options = new ConfigurationOptions
        {
            User = user,
            Password = password,
            DefaultDatabase = database,
            Ssl = ssl,
        };
        options.EndPoints.Add(host, port);
        settings = new RedisSettings { Options = options, Host = host, Port = port, Database = database, Ssl = ssl };
        return null;
    }

    private static string? FromOptions(string text, SecretRedactor redactor, out RedisSettings settings)
    {
        settings = null!;
        foreach (Match match in PasswordPairPattern().Matches(text))
        {
            redactor.Add(match.Groups["value"].Value.Trim());
        }

        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(text);
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }

        redactor.Add(options.Password);
        if (options.EndPoints.Count != 1)
        {
            return options.EndPoints.Count == 0
                ? "no host:port given"
                : $"{options.EndPoints.Count} endpoints given; probe each as its own target";
        }

        var (host, port) = options.EndPoints[0] switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            var other => (other.ToString() ?? string.Empty, 0),
        };
        if (host.Length == 0)
        {
            return "no host given";
        }

        if (port == 0)
        {
            port = options.Ssl ? 6380 : DefaultPort;
        }

        settings = new RedisSettings
        {
            Options = options,
            Host = host,
            Port = port,
            Database = options.DefaultDatabase ?? 0,
            Ssl = options.Ssl,
        };
        return null;
    }

    [GeneratedRegex(@"(?:^|,)\s*password\s*=\s*(?<value>[^,]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordPairPattern();
}
