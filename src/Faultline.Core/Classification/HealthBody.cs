using System.Text.Json;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>A dependency that a health body reports as failing.</summary>
internal sealed record FailingDependency(string Name, string Status, Layer Layer, Side Side, string? Detail);

/// <summary>
/// Reads the health JSON shapes services commonly return and finds the dependencies they report
/// failing: Faultline's own <c>/health/infrastructure</c> (<c>components { name: { status, layer, side } }</c>),
/// Spring Boot Actuator (<c>components</c>), ASP.NET Core HealthChecks UI (<c>entries</c>), and the
/// generic <c>checks</c> / <c>dependencies</c> maps or arrays.
/// </summary>
internal static class HealthBody
{
    private static readonly string[] Containers = ["components", "checks", "entries", "dependencies", "details"];

    private static readonly HashSet<string> FailingStatuses = new(StringComparer.OrdinalIgnoreCase)
    {
        "unhealthy", "down", "fail", "failed", "failing", "failure", "error", "critical",
        "out_of_service", "outofservice", "ko", "red", "unavailable", "timeout",
    };

    private static readonly string[] DetailKeys = ["detail", "description", "error", "message", "reason", "cause"];

    /// <summary>The failing dependencies, most fundamental layer first; empty when the body is not a health document.</summary>
    public static IReadOnlyList<FailingDependency> FailingDependencies(string body)
    {
        var trimmed = body.AsSpan().TrimStart();
        if (trimmed.Length == 0 || trimmed[0] != '{')
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32, AllowTrailingCommas = true });
            var found = new List<FailingDependency>();
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (Containers.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        Collect(property.Value, found);
                    }
                    else if (property.Value.ValueKind == JsonValueKind.Object && String(property.Value, "status") is not null)
                    {
                        // Older Spring Boot and hand-written bodies put each dependency at the top level.
                        Inspect(property.Name, property.Value, found);
                    }
                }
            }

            return found
                .Select((d, i) => (d, i))
                .OrderBy(x => RootCauseRank(x.d.Layer))
                .ThenBy(x => x.i)
                .Select(x => x.d)
                .ToList();
        }
        catch (JsonException)
        {
            // Not JSON (or truncated): not a health document.
            return [];
        }
    }

    /// <summary>True for the status words health documents use for a failing dependency (unhealthy, down, fail, error, ...).</summary>
    public static bool IsFailing(string status) => FailingStatuses.Contains(status) || status == "false";

    public static int RootCauseRank(Layer layer)
    {
        var index = 0;
        foreach (var candidate in LayerNames.RootCauseOrder)
        {
            if (candidate == layer)
            {
                return index;
            }

            index++;
        }

        return index;
    }

    /// <summary>Layer from a dependency's name: db/database/postgres/sql → database, redis/cache → cache, and so on.</summary>
    public static Layer LayerFromName(string name)
    {
        var tokens = name.ToLowerInvariant().Split(['-', '_', '.', ' ', ':', '/'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var token in tokens)
        {
            if (token is "db" or "pg" or "rds" || token.EndsWith("db", StringComparison.Ordinal)
                || token.Contains("postgres", StringComparison.Ordinal) || token.Contains("database", StringComparison.Ordinal)
                || token.Contains("sql", StringComparison.Ordinal) || token.Contains("mongo", StringComparison.Ordinal))
            {
                return Layer.Database;
            }

            if (token.Contains("redis", StringComparison.Ordinal) || token.Contains("cache", StringComparison.Ordinal)
                || token.Contains("valkey", StringComparison.Ordinal) || token.Contains("memcache", StringComparison.Ordinal))
            {
                return Layer.Cache;
            }

            if (token is "dns" or "resolver")
            {
                return Layer.Dns;
            }

            if (token is "tls" or "ssl" or "cert" or "certificate" or "certificates")
            {
                return Layer.Tls;
            }

            if (token is "secret" or "secrets" or "config" or "configuration" or "vault" or "env" or "settings")
            {
                return Layer.Configuration;
            }

            if (token is "network" or "tcp" or "connectivity" or "vpc" or "connector")
            {
                return Layer.Network;
            }

            if (token is "proxy" or "gateway" or "lb" or "loadbalancer" or "ingress")
            {
                return Layer.Proxy;
            }
        }

        return Layer.Application;
    }

    public static Side DefaultSide(Layer layer) => layer is Layer.Application or Layer.Configuration ? Side.Application : Side.Infrastructure;

    private static void Collect(JsonElement container, List<FailingDependency> found)
    {
        if (container.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in container.EnumerateObject())
            {
                Inspect(property.Name, property.Value, found);
            }
        }
        else if (container.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in container.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && (String(item, "name") ?? String(item, "component") ?? String(item, "key")) is { } name)
                {
                    Inspect(name, item, found);
                }
            }
        }
    }

    private static void Inspect(string name, JsonElement entry, List<FailingDependency> found)
    {
        string? status;
        string? detail = null;
        Layer? layer = null;
        Side? side = null;
        switch (entry.ValueKind)
        {
            case JsonValueKind.String:
                status = entry.GetString();
                break;
            case JsonValueKind.False:
                status = "false";
                break;
            case JsonValueKind.Object:
                status = String(entry, "status") ?? String(entry, "state");
                if (status is null && (Bool(entry, "healthy") == false || Bool(entry, "ok") == false))
                {
                    status = "unhealthy";
                }

                detail = DetailKeys.Select(k => String(entry, k)).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
                if (String(entry, "layer") is { } layerText && Enum.TryParse<Layer>(layerText, ignoreCase: true, out var l) && Enum.IsDefined(l))
                {
                    layer = l;
                }

                if (String(entry, "side") is { } sideText && Enum.TryParse<Side>(sideText, ignoreCase: true, out var s) && Enum.IsDefined(s))
                {
                    side = s;
                }

                break;
            default:
                return;
        }

        if (status is null || !(FailingStatuses.Contains(status) || status == "false"))
        {
            return;
        }

        var resolvedLayer = layer ?? LayerFromName(name);
        found.Add(new FailingDependency(
            name,
            status,
            resolvedLayer,
            side ?? DefaultSide(resolvedLayer),
            detail is null ? null : Facts.OneLine(detail, 160)));
    }

    private static string? String(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
            {
                return property.Value.GetString();
            }
        }

        return null;
    }

    private static bool? Bool(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => null,
                };
            }
        }

        return null;
    }
}
