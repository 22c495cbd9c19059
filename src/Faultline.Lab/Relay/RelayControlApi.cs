using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Faultline.Lab.Relay;

/// <summary>
/// The relay's HTTP control API, one terminal handler without routing or MVC:
/// <c>GET /links</c>, <c>PUT /links/{name}/fault</c>, <c>DELETE /links/{name}/fault</c>, <c>DELETE /faults</c>.
/// Errors answer <c>{ "error": "..." }</c> with 400 (bad fault), 404 (unknown link or path), 405 or 409.
/// </summary>
internal sealed class RelayControlApi(RelayHost host, ILogger logger)
{
    private const int MaxBody = 16 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value?.TrimEnd('/') ?? string.Empty;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case ["links"] when HttpMethods.IsGet(request.Method):
                await WriteJsonAsync(context, StatusCodes.Status200OK, w => RelayJson.WriteLinks(w, host.GetLinks())).ConfigureAwait(false);
                return;
            case ["faults"] when HttpMethods.IsDelete(request.Method):
                await Apply(context, () => host.ClearAll()).ConfigureAwait(false);
                return;
            case ["links", var name, "fault"] when HttpMethods.IsDelete(request.Method):
                if (await KnownLinkAsync(context, name).ConfigureAwait(false))
                {
                    await Apply(context, () => host.SetFault(name, null)).ConfigureAwait(false);
                }

                return;
            case ["links", var name, "fault"] when HttpMethods.IsPut(request.Method):
                if (await KnownLinkAsync(context, name).ConfigureAwait(false))
                {
                    await PutFaultAsync(context, name).ConfigureAwait(false);
                }

                return;
            case ["links"] or ["faults"] or ["links", _, "fault"]:
                await ErrorAsync(context, StatusCodes.Status405MethodNotAllowed, $"{request.Method} is not allowed on {path}").ConfigureAwait(false);
                return;
            default:
                await ErrorAsync(context, StatusCodes.Status404NotFound, "unknown path: use GET /links, PUT or DELETE /links/{name}/fault, DELETE /faults").ConfigureAwait(false);
                return;
        }
    }

    private async Task PutFaultAsync(HttpContext context, string name)
    {
        Dictionary<string, string> fields;
        try
        {
            if (context.Request.ContentLength > MaxBody)
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, $"the body is larger than {MaxBody} bytes").ConfigureAwait(false);
                return;
            }

            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            if (!RelayJson.TryReadFields(document.RootElement, out fields, out var shapeError))
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, shapeError).ConfigureAwait(false);
                return;
            }
        }
        catch (JsonException)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "the body is not JSON: send { \"fault\": \"latency\", \"delay\": \"5s\" }").ConfigureAwait(false);
            return;
        }

        if (!FaultSpec.TryParse(fields, out var spec, out var error))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }

        await Apply(context, () => host.SetFault(name, spec)).ConfigureAwait(false);
    }

    private async Task<bool> KnownLinkAsync(HttpContext context, string name)
    {
        if (host.TryGet(name, out _))
        {
            return true;
        }

        await ErrorAsync(context, StatusCodes.Status404NotFound, $"no relay link named '{name}' (links: {string.Join(", ", host.LinkNames)})").ConfigureAwait(false);
        return false;
    }

    private async Task Apply(HttpContext context, Action change)
    {
        try
        {
            change();
        }
        catch (SocketException ex)
        {
            // Clearing refuse must listen again; the port may have been taken meanwhile.
            await ErrorAsync(context, StatusCodes.Status409Conflict, string.Create(CultureInfo.InvariantCulture, $"could not listen again: {ex.SocketErrorCode}")).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task ErrorAsync(HttpContext context, int status, string message)
    {
        RelayLog.ControlRejected(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, message);
        await WriteJsonAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", message);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        write(writer);
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>The JSON shapes of the control API, shared by the server and <see cref="RelayClient"/>.</summary>
internal static class RelayJson
{
    public static void WriteFault(Utf8JsonWriter writer, FaultSpec fault)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in fault.ToFields())
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    public static void WriteLinks(Utf8JsonWriter writer, IReadOnlyList<RelayLinkStatus> links)
    {
        writer.WriteStartArray();
        foreach (var link in links)
        {
            writer.WriteStartObject();
            writer.WriteString("name", link.Name);
            writer.WriteString("listen", link.Listen);
            writer.WriteString("upstream", link.Upstream);
            writer.WritePropertyName("fault");
            if (link.Fault is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                WriteFault(writer, link.Fault);
            }

            writer.WriteNumber("connections", link.Connections);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>A flat JSON object of strings, numbers or booleans as the string fields <see cref="FaultSpec.TryParse"/> reads.</summary>
    public static bool TryReadFields(JsonElement element, out Dictionary<string, string> fields, out string error)
    {
        fields = new Dictionary<string, string>(StringComparer.Ordinal);
        error = string.Empty;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "the body must be a JSON object such as { \"fault\": \"latency\", \"delay\": \"5s\" }";
            return false;
        }

        foreach (var property in element.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    fields[property.Name] = property.Value.GetString()!;
                    break;
                case JsonValueKind.Number:
                    fields[property.Name] = property.Value.GetRawText();
                    break;
                default:
                    error = $"'{property.Name}' must be a string or a number";
                    return false;
            }
        }

        return true;
    }

    public static IReadOnlyList<RelayLinkStatus> ReadLinks(JsonElement root)
    {
        var links = new List<RelayLinkStatus>();
        foreach (var item in root.EnumerateArray())
        {
            FaultSpec? fault = null;
            var faultElement = item.GetProperty("fault");
            if (faultElement.ValueKind == JsonValueKind.Object)
            {
                if (!TryReadFields(faultElement, out var fields, out var shapeError) || !FaultSpec.TryParse(fields, out var spec, out shapeError))
                {
                    throw new RelayControlException($"the relay reported a fault it cannot read back: {shapeError}");
                }

                fault = spec;
            }

            links.Add(new RelayLinkStatus(
                item.GetProperty("name").GetString() ?? string.Empty,
                item.GetProperty("listen").GetString() ?? string.Empty,
                item.GetProperty("upstream").GetString() ?? string.Empty,
                fault,
                item.GetProperty("connections").GetInt32()));
        }

        return links;
    }
}
