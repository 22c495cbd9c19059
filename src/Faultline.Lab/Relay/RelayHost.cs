using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faultline.Lab.Relay;

/// <summary>
/// Runs relay links in this process, with faults switchable at run time per link, and optionally the
/// HTTP control API (<c>GET /links</c>, <c>PUT|DELETE /links/{name}/fault</c>, <c>DELETE /faults</c>) on a loopback endpoint.
/// Disposing closes the listeners, resets every open connection and stops the control API.
/// </summary>
public sealed class RelayHost : IAsyncDisposable
{
    private readonly Dictionary<string, RelayListener> _links;
    private readonly string[] _order;
    private WebApplication? _control;

    private RelayHost(Dictionary<string, RelayListener> links, string[] order)
    {
        _links = links;
        _order = order;
    }

    /// <summary>The control API's base address (e.g. <c>http://127.0.0.1:7301/</c>), null when started without one.</summary>
    public Uri? ControlUri { get; private set; }

    /// <summary>The link names in the order they were given.</summary>
    public IReadOnlyList<string> LinkNames => _order;

    public static Task<RelayHost> StartAsync(IEnumerable<RelayLink> links, IPEndPoint? control, CancellationToken cancellationToken) =>
        StartAsync(links, control, null, null, cancellationToken);

    /// <summary>
    /// Binds every link (port 0 picks a free port) and, when <paramref name="control"/> is set, the control API.
    /// Names must be unique and non-empty; the control endpoint must be a loopback address (the API has no authentication).
    /// </summary>
    public static async Task<RelayHost> StartAsync(
        IEnumerable<RelayLink> links,
        IPEndPoint? control,
        ILoggerFactory? loggerFactory,
        TimeProvider? timeProvider,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(links);
        var list = links.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("the relay needs at least one link", nameof(links));
        }

        foreach (var link in list)
        {
            if (string.IsNullOrWhiteSpace(link.Name) || link.Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            {
                throw new ArgumentException($"link name '{link.Name}' must be letters, digits, '-', '_' or '.'", nameof(links));
            }

            if (link.Upstream is not (IPEndPoint or DnsEndPoint))
            {
                throw new ArgumentException($"link {link.Name}: the upstream must be an IPEndPoint or a DnsEndPoint", nameof(links));
            }
        }

        var duplicate = list.GroupBy(l => l.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"link name '{duplicate.Key}' is used twice", nameof(links));
        }

        if (control is not null && !IPAddress.IsLoopback(control.Address))
        {
            throw new ArgumentException($"the control API has no authentication, so it listens on loopback only, not {control}", nameof(control));
        }

        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Faultline.Lab.Relay");
        var time = timeProvider ?? TimeProvider.System;
        var listeners = new Dictionary<string, RelayListener>(StringComparer.Ordinal);
        var host = new RelayHost(listeners, [.. list.Select(l => l.Name)]);
        try
        {
            foreach (var link in list)
            {
                var listener = new RelayListener(link, time, logger);
                listeners[link.Name] = listener;
                listener.Start();
            }

            if (control is not null)
            {
                await host.StartControlAsync(control, logger, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>The address clients connect to for <paramref name="link"/> (with the bound port when the link asked for 0).</summary>
    public IPEndPoint ListenEndPoint(string link) => Get(link).BoundEndPoint;

    /// <summary>Puts <paramref name="fault"/> on the link, or clears it with null. Takes effect at once.</summary>
    /// <exception cref="KeyNotFoundException">No link has that name.</exception>
    /// <exception cref="SocketException">Clearing refuse could not listen on the link's port again.</exception>
    public void SetFault(string link, FaultSpec? fault) => Get(link).SetFault(fault);

    /// <summary>Clears the faults of every link.</summary>
    public void ClearAll()
    {
        foreach (var name in _order)
        {
            _links[name].SetFault(null);
        }
    }

    /// <summary>Every link, its fault and its open connections, in the order the links were given.</summary>
    public IReadOnlyList<RelayLinkStatus> GetLinks() => [.. _order.Select(n => _links[n].Status())];

    public async ValueTask DisposeAsync()
    {
        if (_control is not null)
        {
            await _control.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _control.DisposeAsync().ConfigureAwait(false);
            _control = null;
        }

        await Task.WhenAll(_links.Values.Select(l => l.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    internal bool TryGet(string link, out RelayListener listener) => _links.TryGetValue(link, out listener!);

    private RelayListener Get(string link) =>
        _links.TryGetValue(link, out var listener)
            ? listener
            : throw new KeyNotFoundException($"no relay link named '{link}' (links: {string.Join(", ", _order)})");

    private async Task StartControlAsync(IPEndPoint control, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(control));
        var app = builder.Build();
        var api = new RelayControlApi(this, logger);
        app.Run(api.HandleAsync);
        _control = app;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the relay control API did not report its address");
        ControlUri = new Uri(address.EndsWith('/') ? address : address + "/");
        RelayLog.ControlListening(logger, ControlUri);
    }
}
