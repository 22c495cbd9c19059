using System.Diagnostics;
using System.Text.Json;

namespace GoldenPath.Tests;

/// <summary>Reads <c>/health/infrastructure</c> with the API key until it reports a status (it is served from background checks).</summary>
internal static class HealthProbe
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    public static async Task<JsonElement> WaitForInfrastructureStatusAsync(GoldenPathProcess app, string apiKey, string status)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var client = app.CreateClient();
        var timer = Stopwatch.StartNew();
        var last = string.Empty;
        while (timer.Elapsed < Deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("health/infrastructure", UriKind.Relative));
            request.Headers.Add("X-Api-Key", apiKey);
            using var response = await client.SendAsync(request);
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true)
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                if (json.RootElement.TryGetProperty("status", out var actual) && actual.GetString() == status)
                {
                    return json.RootElement.Clone();
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        throw new TimeoutException($"/health/infrastructure did not report '{status}' within {Deadline.TotalSeconds} s; last answer: {last}{Environment.NewLine}{app.Output}");
    }
}
