using Faultline.Core.Config;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Alerts;

/// <summary>What a channel is built from besides its <see cref="AlertSpec"/>.</summary>
internal sealed record AlertChannelContext(HttpClient Http, TimeProvider Time, ILoggerFactory LoggerFactory, IReadOnlyList<string> Secrets);

/// <summary>One kind of alert channel: its <c>kind:</c> name, what makes a spec of it unusable, and how to build one.</summary>
internal sealed record AlertChannelKind(string Name, Func<AlertSpec, string?> Problem, Func<AlertSpec, AlertChannelContext, IAlertChannel> Create);

/// <summary>
/// Every kind of alert channel the monitor can deliver through — the one list a new channel joins (its name and
/// keys are declared in <see cref="AlertKinds"/> and the config's key table, which a test holds equal to this list).
/// </summary>
internal static class AlertChannels
{
    public static readonly IReadOnlyList<AlertChannelKind> All = [WebhookChannel.Kind, CommandChannel.Kind, LogChannel.Kind];

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public static AlertChannelKind? Find(string? name) => All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.Ordinal));
}
