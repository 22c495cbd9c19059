using Faultline.Core.Config;

namespace Faultline.Monitor.Alerts;

internal enum DeliveryStatus
{
    /// <summary>The receiver took the alert.</summary>
    Delivered,

    /// <summary>A transient failure (5xx, 408, 429, a connect error, a non-zero exit): try again after a backoff.</summary>
    Retry,

    /// <summary>The receiver rejected the alert for good (a 4xx other than 408/429): retrying would not help.</summary>
    Rejected,
}

/// <summary>The outcome of one delivery attempt. <see cref="Detail"/> never carries a secret (no URL path, query or header value).</summary>
internal readonly record struct DeliveryResult(DeliveryStatus Status, string Detail)
{
    /// <summary>The receiver's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static DeliveryResult Delivered(string detail) => new(DeliveryStatus.Delivered, detail);

    public static DeliveryResult Retry(string detail) => new(DeliveryStatus.Retry, detail);

    public static DeliveryResult Rejected(string detail) => new(DeliveryStatus.Rejected, detail);
}

/// <summary>One configured entry of <c>alerts:</c> that can deliver an <see cref="AlertEvent"/>.</summary>
internal interface IAlertChannel
{
    AlertSpec Spec { get; }

    /// <summary>Where deliveries go, safe to log: <c>scheme://host:port</c> for a webhook, <c>command</c>, <c>log</c>.</summary>
    string Destination { get; }

    /// <summary>One attempt. The token fires at the attempt's deadline or at shutdown; the dispatcher tells them apart.</summary>
    Task<DeliveryResult> DeliverAsync(AlertEvent alert, CancellationToken cancellationToken);
}
