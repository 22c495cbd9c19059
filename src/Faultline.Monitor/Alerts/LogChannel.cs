using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Alerts;

/// <summary>
/// Writes one structured line per alert (event id 6120, category <c>Faultline.Alerts</c>): warning for open and reminder,
/// information for resolve. Target, signature and summary are escaped to one line (<see cref="SafeText.OneLine"/>).
/// </summary>
internal sealed class LogChannel(AlertSpec spec, ILogger logger) : IAlertChannel
{
    public const string Category = "Faultline.Alerts";

    /// <summary><c>kind: log</c>: nothing beyond a name.</summary>
    public static readonly AlertChannelKind Kind = new(
        AlertKinds.Log,
        _ => null,
        (spec, context) => new LogChannel(spec, context.LoggerFactory.CreateLogger(Category)));

    public AlertSpec Spec { get; } = spec;

    public string Destination => AlertKinds.Log;

    public Task<DeliveryResult> DeliverAsync(AlertEvent alert, CancellationToken cancellationToken)
    {
        var incident = alert.Incident;
        var level = alert.Event == AlertEventKind.Resolve ? LogLevel.Information : LogLevel.Warning;
        AlertLog.Alert(
            logger,
            level,
            incident.Id,
            AlertPayloads.EventName(alert.Event),
            SafeText.OneLine(incident.Target),
            incident.Layer.Wire(),
            incident.Side.Wire(),
            SafeText.OneLine(incident.Signature),
            SafeText.OneLine(alert.Summary));
        return Task.FromResult(DeliveryResult.Delivered("logged"));
    }
}
