using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Faultline.Lab.Relay;

/// <summary>
/// The relay as a long-running process (<c>faultline lab relay --control 127.0.0.1:P --link db=127.0.0.1:L=127.0.0.1:U ...</c>):
/// parses the arguments, starts a <see cref="RelayHost"/> with its control API, and runs until cancelled.
/// </summary>
public static class RelayDaemon
{
    /// <summary>The shape of a <c>--link</c> value, for help texts and errors.</summary>
    public const string LinkSyntax = "name=listenHost:port=upstreamHost:port";

    /// <summary>
    /// The environment to start the relay daemon's process with (on top of the caller's own):
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, so socket continuations run on the socket engine's threads
    /// instead of being handed to the thread pool. The relay's continuations only move bytes and never block, which is
    /// what that setting is for; it saves a thread wake-up on every relayed chunk and about half of the relay's CPU time
    /// (see <c>bench/RESULTS-relay.md</c>). .NET reads it once, when the process first uses a socket, so whoever starts
    /// the process has to set it; an in-process <see cref="RelayHost"/> works the same without it.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment { get; } =
        new Dictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1" }.AsReadOnly();

    /// <summary>Runs the relay until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="ArgumentException">A <c>--link</c> or the control endpoint is malformed; the message says which and why.</exception>
    public static Task RunAsync(IReadOnlyList<string> linkArgs, string control, CancellationToken cancellationToken) =>
        RunAsync(linkArgs, control, null, null, cancellationToken);

    /// <summary>
    /// Runs the relay until <paramref name="cancellationToken"/> is cancelled, writing one line per link and the control
    /// address to <paramref name="output"/> once everything listens.
    /// </summary>
    /// <exception cref="ArgumentException">A <c>--link</c> or the control endpoint is malformed; the message says which and why.</exception>
    public static async Task RunAsync(
        IReadOnlyList<string> linkArgs,
        string control,
        TextWriter? output,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(linkArgs);
        if (!TryParseArguments(linkArgs, control, out var links, out var controlEndPoint, out var error))
        {
            throw new ArgumentException(error);
        }

        await using var host = await RelayHost.StartAsync(links, controlEndPoint, loggerFactory, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        if (output is not null)
        {
            foreach (var link in host.GetLinks())
            {
                await output.WriteLineAsync($"relay {link.Name}: {link.Listen} -> {link.Upstream}").ConfigureAwait(false);
            }

            await output.WriteLineAsync($"relay control: {host.ControlUri}").ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown requested: dispose the host below.
        }
    }

    /// <summary>Parses every <c>--link</c> value and the control endpoint; the error names the bad argument.</summary>
    public static bool TryParseArguments(
        IReadOnlyList<string> linkArgs,
        string control,
        out IReadOnlyList<RelayLink> links,
        out IPEndPoint controlEndPoint,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(linkArgs);
        links = [];
        controlEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (linkArgs.Count == 0)
        {
            error = $"give at least one --link {LinkSyntax}";
            return false;
        }

        if (!TryParseHostPort(control, out var host, out var port, out var reason) || !IPAddress.TryParse(host, out var controlAddress) && host != "localhost")
        {
            error = $"--control '{control}': {(reason.Length > 0 ? reason : "the host must be an IP address")} (write 127.0.0.1:PORT)";
            return false;
        }

        controlAddress ??= IPAddress.Loopback;
        if (!IPAddress.IsLoopback(controlAddress))
        {
            error = $"--control '{control}': the control API has no authentication, so it listens on loopback only (127.0.0.1 or ::1)";
            return false;
        }

        controlEndPoint = new IPEndPoint(controlAddress, port);
        var parsed = new List<RelayLink>();
        foreach (var text in linkArgs)
        {
            if (!TryParseLink(text, out var link, out error))
            {
                return false;
            }

            if (parsed.Any(l => l.Name == link.Name))
            {
                error = $"--link '{text}': the name '{link.Name}' is used twice";
                return false;
            }

            parsed.Add(link);
        }

        links = parsed;
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// Parses <c>name=listenHost:port=upstreamHost:port</c>: the listen host is an IP address (or <c>localhost</c>),
    /// the upstream may be a host name (resolved per connection); IPv6 in brackets (<c>[::1]:5432</c>).
    /// </summary>
    public static bool TryParseLink(string text, out RelayLink link, out string error)
    {
        link = new RelayLink("invalid", new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0));
        var parts = (text ?? string.Empty).Split('=');
        if (parts.Length != 3)
        {
            error = $"--link '{text}': write {LinkSyntax}, e.g. db=127.0.0.1:7432=127.0.0.1:5432";
            return false;
        }

        var name = parts[0].Trim();
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            error = $"--link '{text}': the name '{name}' must be letters, digits, '-', '_' or '.'";
            return false;
        }

        if (!TryParseHostPort(parts[1], out var listenHost, out var listenPort, out var reason))
        {
            error = $"--link '{text}': listen address '{parts[1]}': {reason}";
            return false;
        }

        IPAddress? listenAddress = listenHost == "localhost" ? IPAddress.Loopback : null;
        if (listenAddress is null && !IPAddress.TryParse(listenHost, out listenAddress))
        {
            error = $"--link '{text}': listen address '{parts[1]}': the host must be an IP address such as 127.0.0.1";
            return false;
        }

        if (!TryParseHostPort(parts[2], out var upstreamHost, out var upstreamPort, out reason))
        {
            error = $"--link '{text}': upstream '{parts[2]}': {reason}";
            return false;
        }

        if (upstreamPort == 0)
        {
            error = $"--link '{text}': upstream '{parts[2]}': the port must be 1-65535";
            return false;
        }

        EndPoint upstream = IPAddress.TryParse(upstreamHost, out var upstreamAddress)
            ? new IPEndPoint(upstreamAddress, upstreamPort)
            : new DnsEndPoint(upstreamHost, upstreamPort);
        link = new RelayLink(name, new IPEndPoint(listenAddress, listenPort), upstream);
        error = string.Empty;
        return true;
    }

    private static bool TryParseHostPort(string? text, out string host, out int port, out string reason)
    {
        host = string.Empty;
        port = 0;
        reason = string.Empty;
        var value = (text ?? string.Empty).Trim();
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            reason = "write host:port";
            return false;
        }

        host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            reason = "write IPv6 addresses in brackets: [::1]:PORT";
            return false;
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            reason = "the host is empty or has spaces";
            return false;
        }

        if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            reason = $"the port '{value[(colon + 1)..]}' must be a number 0-65535";
            return false;
        }

        return true;
    }
}
