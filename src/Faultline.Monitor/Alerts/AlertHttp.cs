namespace Faultline.Monitor.Alerts;

/// <summary>
/// The HTTP client every alert channel sends with (webhook, Slack, any later one): it never follows a
/// redirect, so an alert's headers and body go only to the URL that was configured — a 3xx answer is a
/// rejected delivery that says where it pointed, never a second request to another host.
/// </summary>
public static class AlertHttp
{
    public static HttpClient CreateClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
}
