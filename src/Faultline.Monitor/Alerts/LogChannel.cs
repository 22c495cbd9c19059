using Faultline.Core.Config;
using Faultline.Core.Model;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Alerts;

/// <summary>Writes one structured line per alert (event id 6120, category <c>Faultline.Alerts</c>): warning for open and reminder, information for resolve.</summary>
internal sealed class LogChannel(AlertSpec spec, ILogger logger) : IAlertChannel
{
    public const string Category = "Faultline.Alerts";

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
            incident.Target,
            incident.Layer.Wire(),
            incident.Side.Wire(),
            incident.Signature,
            alert.Summary);
        return Task.FromResult(DeliveryResult.Delivered("logged"));
    }
}
