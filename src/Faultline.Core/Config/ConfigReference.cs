using System.Globalization;
using System.Text;

namespace Faultline.Core.Config;

/// <summary>The key reference of docs/config.md, generated from the key table so the page cannot drift from the loader.</summary>
internal static class ConfigReference
{
    public const string StartMarker = "<!-- reference:start (generated from ConfigKeys; do not edit by hand) -->";
    public const string EndMarker = "<!-- reference:end -->";

    public static string Markdown()
    {
        var builder = new StringBuilder();
        builder.Append(StartMarker).Append('\n');
        foreach (var (scope, title) in new[]
        {
            (ConfigKeys.Root, "Top level"),
            (ConfigKeys.Defaults, "`defaults`"),
            (ConfigKeys.Target, "Target (each entry of `targets`)"),
            (ConfigKeys.Tls, "`tls` (in a target)"),
            (ConfigKeys.Login, "`login` (websocket targets)"),
            (ConfigKeys.SecretDir, "`source: { dir }` (secret targets)"),
            (ConfigKeys.SecretRule, "`rules.NAME` (secret targets)"),
            (ConfigKeys.Monitor, "`monitor`"),
            (ConfigKeys.Maintenance, "`monitor.maintenance` (each entry)"),
            (ConfigKeys.Alert, "Alert (each entry of `alerts`)"),
            (ConfigKeys.Validation, "`validation`"),
            (ConfigKeys.Category, "`validation.categories` (each entry)"),
        })
        {
            builder.Append('\n').Append("### ").Append(title).Append("\n\n");
            var withKinds = scope is ConfigKeys.Target or ConfigKeys.Alert;
            builder.Append(withKinds ? "| key | type | kinds | required | default | example | meaning |\n|---|---|---|---|---|---|---|\n"
                                     : "| key | type | required | default | example | meaning |\n|---|---|---|---|---|---|\n");
            foreach (var key in ConfigKeys.InScope(scope))
            {
                builder.Append("| `").Append(key.Name).Append("` | ").Append(TypeName(key)).Append(" | ");
                if (withKinds)
                {
                    builder.Append(key.Kinds is null ? "all" : string.Join(", ", key.Kinds)).Append(" | ");
                }

                builder.Append(Required(key)).Append(" | ")
                    .Append(key.Default is null ? "—" : Code(key.Default)).Append(" | ")
                    .Append(key.Example is null ? "—" : Code(key.Example)).Append(" | ")
                    .Append(Escape(key.Description)).Append(Secrecy(key)).Append(" |\n");
            }
        }

        builder.Append('\n').Append(EndMarker).Append('\n');
        return builder.ToString();
    }

    /// <summary>What of the key's value no output shows (docs/security.md).</summary>
    private static string Secrecy(ConfigKey key) => key.Secrecy switch
    {
        Config.Secrecy.Whole when key.Name == "headers" => " **Secret:** every value except those of headers that never carry credentials (Accept, Content-Type, User-Agent, ...).",
        Config.Secrecy.Whole when key.Name == "env" => " **Secret:** values whose name says credential (PASSWORD, TOKEN, KEY, SECRET, ...) and every `${VAR}` value.",
        Config.Secrecy.Whole when key.Type == KeyType.Json || key.Name == "body" => " **Secret:** the whole body, its credential fields (password, token, ...) and every `${VAR}` value.",
        Config.Secrecy.Whole => " **Secret:** never shown in any output.",
        Config.Secrecy.Interpolated => " **Secret:** every value a `${VAR}` fills in.",
        _ when key.Format is KeyFormat.HttpUrl or KeyFormat.TargetUrl or KeyFormat.TemplateUrl => " **Secret:** the user-info password, and query values a `${VAR}` fills in.",
        _ => string.Empty,
    };

    private static string Required(ConfigKey key)
    {
        if (key.Required)
        {
            return "yes";
        }

        var anyOf = ConfigKeys.RequiredAnyOf.Where(r => r.AnyOf.Contains(key.Name, StringComparer.Ordinal)).ToList();
        if (key.RequiredFor.Count > 0)
        {
            return "for " + string.Join(", ", key.RequiredFor);
        }

        if (anyOf.Count > 0)
        {
            return string.Join("; ", anyOf.Select(r => $"{r.Kind}: one of {string.Join(", ", r.AnyOf)}"));
        }

        return "no";
    }

    private static string TypeName(ConfigKey key)
    {
        string Range() => key.Minimum is null && key.Maximum is null
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $" {key.Minimum}..{key.Maximum}");

        return key.Type switch
        {
            KeyType.String => key.Format switch
            {
                KeyFormat.HttpUrl or KeyFormat.TargetUrl => "URL",
                KeyFormat.FilePath => "file path",
                KeyFormat.JsonPath => "JSON path",
                KeyFormat.Resolver => "host:port or IP",
                KeyFormat.Host => "host",
                KeyFormat.ExistingFile => "file path",
                KeyFormat.Directory => "directory path",
                KeyFormat.Regex => "regex",
                KeyFormat.Kind => "kind",
                KeyFormat.OneOf => string.Join("/", key.Values ?? []),
                KeyFormat.Store => "store",
                KeyFormat.ExistingDirectory => "directory path",
                KeyFormat.TemplateUrl => "URL template",
                KeyFormat.TargetName => "name",
                _ => "string",
            },
            KeyType.Boolean => "boolean",
            KeyType.Integer => "integer" + Range(),
            KeyType.Number => "number" + Range(),
            KeyType.Duration => (key.MinimumDuration, key.MaximumDuration) switch
            {
                ({ } shortest, { } longest) => $"duration {Model.Durations.Format(shortest)}..{Model.Durations.FormatExact(longest)}",
                ({ } shortest, null) => $"duration ≥ {Model.Durations.Format(shortest)}",
                (null, { } longest) => $"duration ≤ {Model.Durations.FormatExact(longest)}",
                _ => "duration",
            },
            KeyType.Timestamp => "timestamp",
            KeyType.StringList => key.Format switch
            {
                KeyFormat.Condition => "list of conditions",
                KeyFormat.TargetName => key.Name == "alerts" ? "list of alert names" : "list of target names",
                KeyFormat.EventName => "list of event names",
                _ => key.Values is null ? "list of strings" : "list of " + string.Join("/", key.Values),
            },
            KeyType.StringMap => "map of strings",
            KeyType.Section => $"mapping ({key.Nested})",
            KeyType.SectionList => key.Nested switch
            {
                ConfigKeys.Alert => "list of alerts",
                ConfigKeys.Maintenance => "list of windows",
                ConfigKeys.Category => "list of categories",
                _ => "list of targets",
            },
            KeyType.SectionMap => "map of rules",
            KeyType.SecretSource => "`env` or `{ dir: PATH }`",
            KeyType.Json => "mapping (as JSON) or string",
            _ => key.Type.ToString(),
        };
    }

    private static string Code(string text) => "`" + text.Replace("|", "\\|", StringComparison.Ordinal) + "`";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
