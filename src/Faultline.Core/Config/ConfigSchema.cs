using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Faultline.Core.Model;

namespace Faultline.Core.Config;

/// <summary>The JSON Schema (draft 2020-12) of the config file, generated from the same key table the loader validates with.</summary>
public static class ConfigSchema
{
    /// <summary>Pattern of a duration string (or a value filled in from the environment).</summary>
    public const string DurationPattern = @"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ms|s|m|h|d)|.*\$\{.*)$";

    /// <summary>Pattern of a timestamp: ISO-8601 with Z or an offset (the loader uses the same).</summary>
    internal const string TimestampPattern = @"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})$";

    private const string InterpolatedPattern = @"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The schema as indented JSON with \n line endings and a final newline.</summary>
    public static string Generate()
    {
        var defs = new JsonObject
        {
            ["duration"] = new JsonObject
            {
                ["type"] = "string",
                ["description"] = "A number and a unit: 250ms, 2s, 1.5s, 5m, 2h, 14d. A bare number is not a duration.",
                ["pattern"] = DurationPattern,
            },
            ["interpolated"] = new JsonObject
            {
                ["type"] = "string",
                ["description"] = "A value taken from the environment: ${NAME} or ${NAME:-default}.",
                ["pattern"] = InterpolatedPattern,
            },
        };

        foreach (var scope in new[]
        {
            ConfigKeys.Defaults, ConfigKeys.Target, ConfigKeys.Tls, ConfigKeys.Login, ConfigKeys.SecretDir, ConfigKeys.SecretRule,
            ConfigKeys.Monitor, ConfigKeys.Maintenance, ConfigKeys.Alert, ConfigKeys.Validation, ConfigKeys.Category,
        })
        {
            defs[DefName(scope)] = SectionSchema(scope);
        }

        var root = SectionSchema(ConfigKeys.Root);
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "Faultline configuration",
            ["description"] = "One file for every Faultline command; see docs/config.md.",
        };
        foreach (var (name, value) in root.ToList())
        {
            root.Remove(name);
            schema[name] = value;
        }

        schema["$defs"] = defs;
        return schema.ToJsonString(Options) + "\n";
    }

    private static string DefName(string scope) => scope switch
    {
        ConfigKeys.SecretDir => "secretDirectory",
        ConfigKeys.SecretRule => "secretRule",
        _ => scope,
    };

    private static JsonObject SectionSchema(string scope)
    {
        var keys = ConfigKeys.InScope(scope).ToList();
        var properties = new JsonObject();
        foreach (var key in keys)
        {
            properties[key.Name] = KeySchema(key);
        }

        var section = new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
        var required = keys.Where(k => k.Required).Select(k => (JsonNode?)k.Name).ToArray();
        if (required.Length > 0)
        {
            section["required"] = new JsonArray(required);
        }

        var kinds = scope switch
        {
            ConfigKeys.Target => TargetKinds.All,
            ConfigKeys.Alert => AlertKinds.All,
            _ => null,
        };
        if (kinds is not null)
        {
            section["allOf"] = new JsonArray(kinds.Select(kind => (JsonNode?)KindRule(kind, keys)).ToArray());
        }

        return section;
    }

    private static JsonObject KindRule(string kind, List<ConfigKey> keys)
    {
        var then = new JsonObject();
        var required = keys.Where(k => k.RequiredFor.Contains(kind, StringComparer.Ordinal)).Select(k => (JsonNode?)k.Name).ToArray();
        if (required.Length > 0)
        {
            then["required"] = new JsonArray(required);
        }

        var forbidden = new JsonObject();
        foreach (var key in keys.Where(k => !k.AppliesTo(kind)))
        {
            forbidden[key.Name] = false;
        }

        if (UrlPattern(kind) is { } urlPattern)
        {
            forbidden["url"] = new JsonObject { ["pattern"] = urlPattern };
        }

        if (forbidden.Count > 0)
        {
            then["properties"] = forbidden;
        }

        foreach (var (requiredKind, anyOf) in ConfigKeys.RequiredAnyOf)
        {
            if (keys[0].Scope == ConfigKeys.Target && string.Equals(requiredKind, kind, StringComparison.Ordinal))
            {
                then["anyOf"] = new JsonArray(anyOf.Select(k => (JsonNode?)new JsonObject { ["required"] = new JsonArray(k) }).ToArray());
            }
        }

        return new JsonObject
        {
            ["if"] = new JsonObject
            {
                ["properties"] = new JsonObject { ["kind"] = new JsonObject { ["const"] = kind } },
                ["required"] = new JsonArray("kind"),
            },
            ["then"] = then,
        };
    }

    /// <summary>The URL schemes a kind takes; null for kinds without a url.</summary>
    private static string? UrlPattern(string kind) => kind switch
    {
        TargetKinds.WebSocket => @"^(wss?://|\$\{)",
        TargetKinds.Http or TargetKinds.Remote => @"^(https?://|\$\{)",
        _ => null,
    };

    private static JsonObject KeySchema(ConfigKey key)
    {
        var description = key.Description;
        if (key.Kinds is not null)
        {
            description += " Kinds: " + string.Join(", ", key.Kinds) + ".";
        }

        if (key.Default is not null)
        {
            description += " Default: " + key.Default + ".";
        }

        if (key.MinimumDuration is { } shortest)
        {
            description += " At least " + Durations.Format(shortest) + ".";
        }

        if (key.MaximumDuration is { } longest)
        {
            description += " At most " + Durations.FormatExact(longest) + ".";
        }

        JsonObject schema;
        switch (key.Type)
        {
            case KeyType.Boolean:
                schema = OrInterpolated(new JsonObject { ["type"] = "boolean" });
                break;
            case KeyType.Integer:
                var integer = new JsonObject { ["type"] = "integer" };
                if (key.Minimum is { } min)
                {
                    integer["minimum"] = min;
                }

                if (key.Maximum is { } max)
                {
                    integer["maximum"] = max;
                }

                schema = OrInterpolated(integer);
                break;
            case KeyType.Number:
                var number = new JsonObject { ["type"] = "number" };
                if (key.Minimum is { } least)
                {
                    number["minimum"] = least;
                }

                if (key.Maximum is { } most)
                {
                    number["maximum"] = most;
                }

                schema = OrInterpolated(number);
                break;
            case KeyType.Duration:
                schema = new JsonObject { ["$ref"] = "#/$defs/duration" };
                break;
            case KeyType.Timestamp:
                schema = new JsonObject
                {
                    ["anyOf"] = new JsonArray(
                        new JsonObject { ["type"] = "string", ["format"] = "date-time", ["pattern"] = TimestampPattern },
                        new JsonObject { ["$ref"] = "#/$defs/interpolated" }),
                };
                break;
            case KeyType.StringList:
                schema = new JsonObject { ["type"] = "array", ["items"] = StringSchema(key) };
                break;
            case KeyType.StringMap:
                schema = new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "string" } };
                break;
            case KeyType.Section:
                schema = new JsonObject { ["$ref"] = "#/$defs/" + DefName(key.Nested!) };
                break;
            case KeyType.SectionList:
                schema = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["$ref"] = "#/$defs/" + DefName(key.Nested!) },
                };
                if (key.Nested == ConfigKeys.Target)
                {
                    schema["minItems"] = 1;
                }

                break;
            case KeyType.SectionMap:
                schema = new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = new JsonObject { ["$ref"] = "#/$defs/" + DefName(key.Nested!) },
                };
                break;
            case KeyType.SecretSource:
                schema = new JsonObject
                {
                    ["oneOf"] = new JsonArray(
                        new JsonObject { ["const"] = "env" },
                        new JsonObject { ["$ref"] = "#/$defs/" + DefName(key.Nested!) }),
                };
                break;
            case KeyType.Json:
                schema = new JsonObject
                {
                    ["type"] = new JsonArray("object", "array", "string", "number", "boolean"),
                };
                break;
            default:
                schema = StringSchema(key);
                break;
        }

        var result = new JsonObject { ["description"] = description };
        foreach (var (name, value) in schema.ToList())
        {
            schema.Remove(name);
            result[name] = value;
        }

        if (SchemaDefault(key) is { } defaultValue)
        {
            result["default"] = defaultValue;
        }

        return result;
    }

    private static JsonObject StringSchema(ConfigKey key)
    {
        var schema = new JsonObject { ["type"] = "string" };
        if (key.Values is not null)
        {
            schema["enum"] = new JsonArray(key.Values.Select(v => (JsonNode?)v).ToArray());
        }

        switch (key.Format)
        {
            case KeyFormat.TargetName:
                schema["pattern"] = "^[A-Za-z0-9._/-]+$";
                break;
            case KeyFormat.HttpUrl or KeyFormat.TemplateUrl:
                schema["pattern"] = @"^(https?://|\$\{)";
                break;
            case KeyFormat.Store:
                schema["pattern"] = @"^(sqlite:.+|postgres:.*=.*|\$\{.*)$";
                break;
            case KeyFormat.TargetUrl:
                schema["pattern"] = @"^(https?://|wss?://|\$\{)";
                break;
            case KeyFormat.Resolver:
                schema["pattern"] = @"^(\[[0-9A-Fa-f:.]+\]:[0-9]+|[A-Za-z0-9._-]+:[0-9]+|[0-9.]+|[0-9A-Fa-f:]+|.*\$\{.*)$";
                break;
        }

        return schema;
    }

    private static JsonObject OrInterpolated(JsonObject schema) =>
        new() { ["anyOf"] = new JsonArray(schema, new JsonObject { ["$ref"] = "#/$defs/interpolated" }) };

    private static JsonNode? SchemaDefault(ConfigKey key)
    {
        var text = key.Default;
        if (text is null)
        {
            return null;
        }

        return key.Type switch
        {
            KeyType.Boolean when bool.TryParse(text, out var b) => JsonValue.Create(b),
            KeyType.Integer when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i) => JsonValue.Create(i),
            KeyType.Number when double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
            KeyType.Duration when Durations.TryParse(text, out _) => JsonValue.Create(text),
            KeyType.String or KeyType.SecretSource when text.All(char.IsAsciiLetterOrDigit) => JsonValue.Create(text),
            _ => null,
        };
    }
}
