using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Faultline.Core.Conditions;
using Faultline.Core.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Faultline.Core.Config;

/// <summary>A scalar after interpolation, with what may be shown of it.</summary>
internal sealed record LocatedString(string Value, YamlNode Node, bool FromEnvironment, string Raw)
{
    /// <summary>What messages may quote: the value as written in the file, never what a variable held.</summary>
    public string Display => FromEnvironment ? Raw : Value;
}

/// <summary>A mapping read against a scope of the key table: the values that passed validation.</summary>
internal sealed class Section(YamlMappingNode node, SourceLocation location)
{
    private readonly Dictionary<string, (ConfigKey Key, YamlNode Node, object Value)> _values = new(StringComparer.Ordinal);

    public YamlMappingNode Node { get; } = node;

    public SourceLocation Location { get; } = location;

    public void Set(ConfigKey key, YamlNode valueNode, object value) => _values[key.Name] = (key, valueNode, value);

    public bool Has(string name) => _values.ContainsKey(name);

    public T? Get<T>(string name)
        where T : class => _values.TryGetValue(name, out var entry) ? entry.Value as T : null;

    public T? GetValue<T>(string name)
        where T : struct => _values.TryGetValue(name, out var entry) && entry.Value is T value ? value : null;

    public string? String(string name) => Get<LocatedString>(name)?.Value;

    public IReadOnlyList<LocatedString> List(string name) => Get<List<LocatedString>>(name) ?? [];
}

/// <summary>Reads one YAML document against the key table, collecting every error.</summary>
internal sealed partial class ConfigReader
{
    private static readonly Regex NamePattern = new("^[A-Za-z0-9._/-]+$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private readonly string _displayPath;
    private readonly string _baseDirectory;
    private readonly Func<string, string?> _getVariable;
    private readonly string[] _lines;

    /// <summary>The first errors in file order, at most <see cref="ConfigLimits.MaxErrorsShown"/>: the last of them (by position) on top, dropped first.</summary>
    private readonly PriorityQueue<ConfigError, (int Line, int Column, long Order)> _errors =
        new(Comparer<(int Line, int Column, long Order)>.Create((a, b) => b.CompareTo(a)));

    private long _errorCount;

    public ConfigReader(string text, string displayPath, string baseDirectory, Func<string, string?> getVariable)
    {
        _displayPath = displayPath;
        _baseDirectory = baseDirectory;
        _getVariable = getVariable;
        _lines = text.Split('\n');
    }

    /// <summary>The errors kept (the first <see cref="ConfigLimits.MaxErrorsShown"/> in file order), in file order.</summary>
    public IReadOnlyList<ConfigError> Errors => [.. _errors.UnorderedItems.OrderBy(e => e.Priority).Select(e => e.Element)];

    /// <summary>How many errors were reported in all.</summary>
    public int ErrorCount => (int)Math.Min(_errorCount, int.MaxValue);

    public SourceLocation Location(YamlNode node) => new(_displayPath, ToInt(node.Start.Line), ToInt(node.Start.Column));

    public SourceLocation Location(Mark mark) => new(_displayPath, ToInt(mark.Line), ToInt(mark.Column));

    public void Error(SourceLocation? location, string message, string? hint = null)
    {
        var error = new ConfigError(location, message, hint);
        var position = (location?.Line ?? 0, location?.Column ?? 0, _errorCount++);
        if (_errors.Count < ConfigLimits.MaxErrorsShown)
        {
            _errors.Enqueue(error, position);
        }
        else
        {
            _errors.EnqueueDequeue(error, position);
        }
    }

    public void Error(YamlNode node, string message, string? hint = null) => Error(Location(node), message, hint);

    /// <summary>Location of the character at <paramref name="offset"/> of a scalar's value, accounting for quotes and escapes.</summary>
    public SourceLocation LocationInScalar(YamlScalarNode node, int offset)
    {
        var start = Location(node);
        if (node.Start.Line != node.End.Line || start.Line < 1 || start.Line > _lines.Length)
        {
            return start;
        }

        var line = _lines[start.Line - 1];
        var i = start.Column - 1;
        switch (node.Style)
        {
            case ScalarStyle.Plain:
                return start with { Column = start.Column + offset };
            case ScalarStyle.SingleQuoted:
                i++;
                for (var k = 0; k < offset && i < line.Length; k++)
                {
                    i += line[i] == '\'' && i + 1 < line.Length && line[i + 1] == '\'' ? 2 : 1;
                }

                return start with { Column = i + 1 };
            case ScalarStyle.DoubleQuoted:
                i++;
                for (var k = 0; k < offset && i < line.Length; k++)
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i += line[i + 1] switch
                        {
                            'x' => 4,
                            'u' => 6,
                            'U' => 10,
                            _ => 2,
                        };
                    }
                    else
                    {
                        i++;
                    }
                }

                return start with { Column = i + 1 };
            default:
                return start;
        }
    }

    /// <summary>Read a mapping against <paramref name="scope"/>. <paramref name="kind"/> filters target keys; <paramref name="where"/> names the place in messages.</summary>
    public Section ReadSection(YamlMappingNode mapping, string scope, string? kind, string where)
    {
        var section = new Section(mapping, Location(mapping));
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } name })
            {
                Error(keyNode, $"a key {where} must be a plain name", "write key: value");
                continue;
            }

            var key = ConfigKeys.Find(scope, name);
            if (key is null)
            {
                UnknownKey(keyNode, name, scope, kind, where);
                continue;
            }

            if (!key.AppliesTo(kind))
            {
                var takes = string.Join(", ", ConfigKeys.InScope(scope).Where(k => k.Kinds is not null && k.AppliesTo(kind)).Select(k => k.Name));
                var hint = takes.Length > 0
                    ? $"{kind} takes {takes} (and the keys every kind takes)"
                    : $"{kind} takes only the keys every kind takes: {string.Join(", ", ConfigKeys.InScope(scope).Where(k => k.Kinds is null).Select(k => k.Name))}";
                Error(keyNode, $"'{name}' does not apply to kind {kind} {where.Replace($" (kind {kind})", string.Empty, StringComparison.Ordinal)}", hint);
                continue;
            }

            var value = ReadValue(key, valueNode, kind, where);
            if (value is not null)
            {
                section.Set(key, valueNode, value);
            }
        }

        foreach (var key in ConfigKeys.InScope(scope))
        {
            if (key.Required && !section.Has(key.Name) && !HasKey(mapping, key.Name))
            {
                Error(section.Location, $"missing '{key.Name}' {where}", key.Example is null ? null : $"add {key.Name}: {key.Example}");
            }
        }

        return section;
    }

    public static bool HasKey(YamlMappingNode mapping, string name) =>
        mapping.Children.Keys.Any(k => k is YamlScalarNode { Value: { } v } && string.Equals(v, name, StringComparison.Ordinal));

    public static YamlNode? Child(YamlMappingNode mapping, string name) =>
        mapping.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: { } v } && string.Equals(v, name, StringComparison.Ordinal)).Value;

    /// <summary>Interpolate a scalar; null (with errors recorded) when it cannot be used.</summary>
    public LocatedString? Scalar(YamlNode node, ConfigKey key, string where, bool allowEmpty = false)
    {
        if (node is not YamlScalarNode scalar)
        {
            var shape = node is YamlSequenceNode ? "a list" : "a mapping";
            Error(node, $"'{key.Name}' {where} must be a single value, not {shape}", key.Example is null ? null : $"write {key.Name}: {key.Example}");
            return null;
        }

        var raw = scalar.Value ?? string.Empty;
        if (scalar.Style == ScalarStyle.Plain && raw is "" or "~" or "null" or "Null" or "NULL")
        {
            Error(node, $"'{key.Name}' {where} has no value", key.Example is null ? "give it a value or remove the key" : $"write {key.Name}: {key.Example}");
            return null;
        }

        if (FirstControl(raw) is { } control)
        {
            Error(LocationInScalar(scalar, control), $"'{key.Name}' {where} holds the control character U+{(int)raw[control]:X4}", ControlHint);
            return null;
        }

        var problems = new List<Interpolation.Problem>();
        var filledIn = new List<string>();
        var value = Interpolation.Expand(raw, name => Filled(_getVariable(name), filledIn), problems, out var changed);
        foreach (var problem in problems)
        {
            Error(LocationInScalar(scalar, problem.Offset), problem.Message, problem.Hint);
        }

        if (value is null)
        {
            return null;
        }

        if (changed && FirstControl(value) is not null)
        {
            Error(node, $"'{key.Name}' {where} holds a control character once environment variables are filled in", "check the variables it uses: " + ControlHint);
            return null;
        }

        if (!allowEmpty && value.Length == 0)
        {
            var hint = changed ? "the value is empty once environment variables are filled in" : "give it a value or remove the key";
            Error(node, $"'{key.Name}' {where} is empty", hint);
            return null;
        }

        RecordScalarSecrets(key, value, filledIn);
        return new LocatedString(value, node, changed, raw);

        static string? Filled(string? variable, List<string> filledIn)
        {
            if (!string.IsNullOrEmpty(variable))
            {
                filledIn.Add(variable);
            }

            return variable;
        }
    }

    private const string ControlHint = "a value holds text, tabs and line breaks, no other control characters (they would reach headers, commands and terminals)";

    /// <summary>The index of the first control character other than tab and line breaks, if any.</summary>
    private static int? FirstControl(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (ConfigFile.IsControl(value[i]))
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>A name of a mapping the user fills (headers, env, rules): not empty, no control characters.</summary>
    private bool IsPlainName(YamlNode keyNode, ConfigKey key, string where, out string name)
    {
        if (keyNode is YamlScalarNode { Value: { Length: > 0 } value } scalar)
        {
            name = value;
            if (FirstControl(value) is not { } control)
            {
                return true;
            }

            Error(LocationInScalar(scalar, control), $"a name in '{key.Name}' {where} holds the control character U+{(int)value[control]:X4}", ControlHint);
            return false;
        }

        name = string.Empty;
        Error(keyNode, $"a name in '{key.Name}' {where} must be a plain name", null);
        return false;
    }

    private void UnknownKey(YamlNode keyNode, string name, string scope, string? kind, string where)
    {
        var allowed = ConfigKeys.InScope(scope).Where(k => k.AppliesTo(kind)).Select(k => k.Name).ToList();
        var suggestion = Suggestions.Nearest(name, allowed);
        var elsewhere = ConfigKeys.All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.Ordinal));
        string hint;
        if (suggestion is not null)
        {
            hint = $"did you mean '{suggestion}'?";
        }
        else if (elsewhere is not null)
        {
            hint = $"'{name}' belongs {ScopeName(elsewhere.Scope)}; keys here: {string.Join(", ", allowed)}";
        }
        else
        {
            hint = "keys here: " + string.Join(", ", allowed);
        }

        Error(keyNode, $"unknown key '{name}' {where}", hint);
    }

    private static string ScopeName(string scope) => scope switch
    {
        ConfigKeys.Root => "at the top level",
        ConfigKeys.Defaults => "under 'defaults'",
        ConfigKeys.Target => "in a target",
        ConfigKeys.Tls => "under a target's 'tls'",
        ConfigKeys.SecretDir => "under a secret target's 'source'",
        ConfigKeys.Login => "under a websocket target's 'login'",
        ConfigKeys.Monitor => "under 'monitor'",
        ConfigKeys.Maintenance => "in an entry of monitor.maintenance",
        ConfigKeys.Alert => "in an entry of 'alerts'",
        ConfigKeys.Validation => "under 'validation'",
        ConfigKeys.Category => "in an entry of validation.categories",
        _ => "under a secret rule",
    };

    private object? ReadValue(ConfigKey key, YamlNode node, string? kind, string where)
    {
        switch (key.Type)
        {
            case KeyType.String:
                {
                    var s = Scalar(node, key, where, allowEmpty: key.Format == KeyFormat.None && !key.Required && key.RequiredFor.Count == 0);
                    if (s is null || JsonTooDeep(key, s, where))
                    {
                        return null;
                    }

                    RecordWholeSecret(key, s.Value);
                    return Format(key, s, where, kind);
                }

            case KeyType.Boolean:
                {
                    var s = Scalar(node, key, where);
                    if (s is null)
                    {
                        return null;
                    }

                    if (string.Equals(s.Value, "true", StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }

                    if (string.Equals(s.Value, "false", StringComparison.OrdinalIgnoreCase))
                    {
                        return false;
                    }

                    Error(node, $"'{key.Name}' {where} must be true or false, not \"{s.Display}\"", $"write {key.Name}: {key.Example ?? "true"}");
                    return null;
                }

            case KeyType.Integer:
                {
                    var s = Scalar(node, key, where);
                    if (s is null)
                    {
                        return null;
                    }

                    var range = $"{key.Minimum?.ToString(CultureInfo.InvariantCulture) ?? "any"}..{key.Maximum?.ToString(CultureInfo.InvariantCulture) ?? "any"}";
                    if (!int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                    {
                        Error(node, $"'{key.Name}' {where} must be a whole number, not \"{s.Display}\"", $"write {key.Name}: {key.Example}");
                        return null;
                    }

                    if ((key.Minimum is { } min && number < min) || (key.Maximum is { } max && number > max))
                    {
                        Error(node, $"'{key.Name}' {where} is {(s.FromEnvironment ? "out of range" : s.Value)}; it must be in {range}", $"write a whole number in {range}");
                        return null;
                    }

                    return number;
                }

            case KeyType.Number:
                return ReadNumber(key, node, where);

            case KeyType.Timestamp:
                return ReadTimestamp(key, node, where);

            case KeyType.Duration:
                {
                    var s = Scalar(node, key, where);
                    if (s is null)
                    {
                        return null;
                    }

                    if (!Durations.TryParse(s.Value, out var duration) || s.Value.Any(char.IsWhiteSpace))
                    {
                        var bare = double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? " (a bare number has no unit)" : string.Empty;
                        Error(node, $"bad duration \"{s.Display}\" for '{key.Name}' {where}{bare}", Durations.Help);
                        return null;
                    }

                    if (duration <= TimeSpan.Zero)
                    {
                        Error(node, $"'{key.Name}' {where} must be longer than zero", Durations.Help);
                        return null;
                    }

                    if (key.MinimumDuration is { } shortest && duration < shortest)
                    {
                        Error(node, $"'{key.Name}' {where} is {(s.FromEnvironment ? "too short" : s.Value)}; it must be at least {Durations.Format(shortest)}", $"write {key.Name}: {key.Example}");
                        return null;
                    }

                    if (key.MaximumDuration is { } longest && duration > longest)
                    {
                        Error(node, $"'{key.Name}' {where} is {(s.FromEnvironment ? "too long" : s.Value)}; it must be at most {Durations.FormatExact(longest)}", $"write {key.Name}: {key.Example}, or at most {Durations.FormatExact(longest)}");
                        return null;
                    }

                    return duration;
                }

            case KeyType.StringList:
                {
                    if (node is not YamlSequenceNode sequence)
                    {
                        Error(node, $"'{key.Name}' {where} must be a list", $"write {key.Name}: {key.Example}");
                        return null;
                    }

                    var items = new List<LocatedString>();
                    foreach (var item in sequence.Children)
                    {
                        var s = Scalar(item, key, where);
                        if (s is not null && Format(key, s, where, kind) is { } formatted)
                        {
                            items.Add(formatted);
                        }
                    }

                    return items;
                }

            case KeyType.StringMap:
                {
                    if (node is not YamlMappingNode map)
                    {
                        Error(node, $"'{key.Name}' {where} must be a mapping of names to values", $"write {key.Name}: {key.Example}");
                        return null;
                    }

                    var values = new Dictionary<string, string>(key.CaseSensitiveNames ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
                    foreach (var (k, v) in map.Children)
                    {
                        if (!IsPlainName(k, key, where, out var name))
                        {
                            continue;
                        }

                        var s = Scalar(v, key, where, allowEmpty: true);
                        if (s is not null && !key.CaseSensitiveNames && s.Value.AsSpan().IndexOfAny('\r', '\n') >= 0)
                        {
                            // A header value is one line: a line break would end the header and start another.
                            Error(v, $"the value of '{name}' in '{key.Name}' {where} holds a line break", "a header value is one line");
                        }
                        else if (s is not null)
                        {
                            values[name] = s.Value;
                            RecordMapSecret(key, name, s.Value);
                        }
                    }

                    return values;
                }

            case KeyType.Section:
                if (node is not YamlMappingNode sectionNode)
                {
                    Error(node, $"'{key.Name}' {where} must be a mapping", $"write {key.Name}: {key.Example}");
                    return null;
                }

                return ReadSection(sectionNode, key.Nested!, kind, NestedWhere(key.Name, where));

            case KeyType.SectionList:
                {
                    if (node is not YamlSequenceNode list)
                    {
                        Error(node, $"'{key.Name}' {where} must be a list", "write each entry on a line starting with '- '");
                        return null;
                    }

                    var sections = new List<Section>();
                    foreach (var item in list.Children)
                    {
                        if (item is not YamlMappingNode itemNode)
                        {
                            Error(item, $"each entry of '{key.Name}' must be a mapping", key.Nested == ConfigKeys.Target ? "write - { name: api, kind: http, url: https://... }" : $"write {key.Name}: {key.Example}");
                            continue;
                        }

                        sections.Add(key.Nested switch
                        {
                            ConfigKeys.Target => ReadKinded(itemNode, ConfigKeys.Target, "target", TargetKinds.All),
                            ConfigKeys.Alert => ReadKinded(itemNode, ConfigKeys.Alert, "alert", AlertKinds.All),
                            _ => ReadSection(itemNode, key.Nested!, null, NestedWhere(key.Name, where)),
                        });
                    }

                    return sections;
                }

            case KeyType.SectionMap:
                {
                    if (node is not YamlMappingNode map)
                    {
                        Error(node, $"'{key.Name}' {where} must be a mapping", $"write {key.Name}: {key.Example}");
                        return null;
                    }

                    var sections = new Dictionary<string, Section>(StringComparer.Ordinal);
                    foreach (var (k, v) in map.Children)
                    {
                        if (!IsPlainName(k, key, where, out var name))
                        {
                            continue;
                        }

                        if (v is not YamlMappingNode ruleNode)
                        {
                            Error(v, $"'{name}' in '{key.Name}' {where} must be a mapping", $"write {key.Name}: {key.Example}");
                            continue;
                        }

                        sections[name] = ReadSection(ruleNode, key.Nested!, kind, $"in {key.Name}.{name} {where}");
                    }

                    return sections;
                }

            case KeyType.SecretSource:
                if (node is YamlScalarNode sourceScalar)
                {
                    var s = Scalar(sourceScalar, key, where);
                    if (s is null)
                    {
                        return null;
                    }

                    if (string.Equals(s.Value, "env", StringComparison.Ordinal))
                    {
                        return new SecretSourceSpec();
                    }

                    Error(node, $"'{key.Name}' {where} must be env or {{ dir: PATH }}, not \"{s.Display}\"", "write source: env, or source: { dir: /run/secrets }");
                    return null;
                }

                if (node is YamlMappingNode sourceMap)
                {
                    var section = ReadSection(sourceMap, key.Nested!, kind, NestedWhere(key.Name, where));
                    return section.String("dir") is { } dir ? new SecretSourceSpec { Directory = dir } : null;
                }

                Error(node, $"'{key.Name}' {where} must be env or {{ dir: PATH }}", "write source: env, or source: { dir: /run/secrets }");
                return null;

            case KeyType.Json:
                return ReadJson(key, node, where);

            default:
                return null;
        }
    }

    /// <summary>A mapping or list as JSON text, or a scalar as written (after interpolation).</summary>
    private LocatedString? ReadJson(ConfigKey key, YamlNode node, string where)
    {
        if (node is YamlScalarNode)
        {
            var text = Scalar(node, key, where, allowEmpty: true);
            if (text is null || JsonTooDeep(key, text, where))
            {
                return null;
            }

            RecordWholeSecret(key, text.Value);
            return text;
        }

        var errors = _errorCount;
        var fromEnvironment = false;
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
        {
            WriteJson(writer, node);
        }

        if (_errorCount > errors)
        {
            return null;
        }

        var json = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        RecordWholeSecret(key, json);
        return new LocatedString(json, node, fromEnvironment, fromEnvironment ? $"(the '{key.Name}' {(node is YamlSequenceNode ? "list" : "mapping")})" : json);

        void WriteJson(System.Text.Json.Utf8JsonWriter writer, YamlNode current)
        {
            switch (current)
            {
                case YamlMappingNode mapping:
                    writer.WriteStartObject();
                    foreach (var (k, v) in mapping.Children)
                    {
                        if (!IsPlainName(k, key, where, out var name))
                        {
                            continue;
                        }

                        writer.WritePropertyName(name);
                        WriteJson(writer, v);
                    }

                    writer.WriteEndObject();
                    break;
                case YamlSequenceNode sequence:
                    writer.WriteStartArray();
                    foreach (var item in sequence.Children)
                    {
                        WriteJson(writer, item);
                    }

                    writer.WriteEndArray();
                    break;
                case YamlScalarNode scalar:
                    var raw = scalar.Value ?? string.Empty;
                    if (scalar.Style == ScalarStyle.Plain && raw is "" or "~" or "null" or "Null" or "NULL")
                    {
                        writer.WriteNullValue();
                        break;
                    }

                    var value = Scalar(scalar, key, where, allowEmpty: true);
                    if (value is null)
                    {
                        writer.WriteNullValue();
                        break;
                    }

                    fromEnvironment |= value.FromEnvironment;
                    if (scalar.Style == ScalarStyle.Plain && !value.FromEnvironment)
                    {
                        if (value.Value is "true" or "True" or "TRUE")
                        {
                            writer.WriteBooleanValue(true);
                            break;
                        }

                        if (value.Value is "false" or "False" or "FALSE")
                        {
                            writer.WriteBooleanValue(false);
                            break;
                        }

                        if (JsonNumber().IsMatch(value.Value))
                        {
                            writer.WriteRawValue(value.Value);
                            break;
                        }
                    }

                    writer.WriteStringValue(value.Value);
                    break;
                default:
                    Error(current, $"'{key.Name}' {where} cannot hold an alias or tag here", $"write {key.Name}: {key.Example}");
                    writer.WriteNullValue();
                    break;
            }
        }
    }

    /// <summary>
    /// A secret value written as JSON text (a body, a message) is parsed for its credential fields: it may nest at most
    /// <see cref="ConfigLimits.MaxDepth"/> levels, like YAML (the reader keeps no stack; text that is not JSON is left alone).
    /// </summary>
    private bool JsonTooDeep(ConfigKey key, LocatedString s, string where)
    {
        var text = s.Value.AsSpan().TrimStart();
        if (key.Secrecy != Secrecy.Whole || text.IsEmpty || (text[0] != '{' && text[0] != '['))
        {
            return false;
        }

        var reader = new System.Text.Json.Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(s.Value), new System.Text.Json.JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is System.Text.Json.JsonTokenType.StartObject or System.Text.Json.JsonTokenType.StartArray && reader.CurrentDepth >= ConfigLimits.MaxDepth)
                {
                    Error(s.Node, $"the JSON in '{key.Name}' {where} nests more than {ConfigLimits.MaxDepth} levels deep", "a message or body needs a few levels: check the value");
                    return true;
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: sent as written.
        }

        return false;
    }

    private static string NestedWhere(string keyName, string where) => $"in '{keyName}' {where}";

    /// <summary>A list entry with a name and a kind (a target, an alert): keys that do not apply to the kind are errors.</summary>
    private Section ReadKinded(YamlMappingNode node, string scope, string noun, IReadOnlyList<string> kinds)
    {
        var nameNode = Child(node, "name");
        var name = nameNode is YamlScalarNode { Value: { Length: > 0 } n } ? n : null;
        var kindNode = Child(node, "kind");
        string? kind = null;
        if (kindNode is YamlScalarNode { Value: { } k })
        {
            var expanded = Interpolation.Expand(k, _getVariable, [], out _);
            if (expanded is not null && kinds.Contains(expanded, StringComparer.Ordinal))
            {
                kind = expanded;
            }
        }

        var where = name is null ? $"in {(noun.StartsWith('a') ? "an" : "a")} {noun}" : kind is null ? $"in {noun} '{name}'" : $"in {noun} '{name}' (kind {kind})";
        var section = ReadSection(node, scope, kind, where);
        if (kind is null)
        {
            return section;
        }

        foreach (var key in ConfigKeys.InScope(scope))
        {
            if (key.RequiredFor.Contains(kind, StringComparer.Ordinal) && !HasKey(node, key.Name))
            {
                Error(section.Location, $"missing '{key.Name}' {where}", key.Example is null ? null : $"add {key.Name}: {key.Example}");
            }
        }

        foreach (var (requiredKind, anyOf) in ConfigKeys.RequiredAnyOf)
        {
            if (scope == ConfigKeys.Target && string.Equals(requiredKind, kind, StringComparison.Ordinal) && !anyOf.Any(k => HasKey(node, k)))
            {
                var examples = anyOf.Select(k => ConfigKeys.Find(ConfigKeys.Target, k)).Where(k => k?.Example is not null).Select(k => $"{k!.Name}: {k.Example}");
                Error(section.Location, $"{where} needs {string.Join(" or ", anyOf.Select(k => $"'{k}'"))}", "add " + string.Join(" or ", examples));
            }
        }

        return section;
    }

    private LocatedString? Format(ConfigKey key, LocatedString s, string where, string? kind)
    {
        var value = s.Value;
        var node = s.Node;
        var shown = s.Display;
        switch (key.Format)
        {
            case KeyFormat.None:
                return s;
            case KeyFormat.TargetName:
                if (!NamePattern.IsMatch(value))
                {
                    Error(node, $"bad name \"{shown}\" for '{key.Name}' {where}", "a name uses letters, digits, '-', '_', '.' and '/'");
                    return null;
                }

                return s;
            case KeyFormat.Kind:
                var kinds = key.Values ?? TargetKinds.All;
                if (!kinds.Contains(value, StringComparer.Ordinal))
                {
                    var suggestion = Suggestions.Nearest(value, kinds);
                    var hint = (suggestion is null ? string.Empty : $"did you mean '{suggestion}'? ") + "kinds: " + string.Join(", ", kinds);
                    Error(node, $"unknown kind '{shown}' {where}", hint);
                    return null;
                }

                return s;
            case KeyFormat.HttpUrl:
                if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
                {
                    Error(node, $"'{key.Name}' {where} must be an absolute http:// or https:// URL, not \"{shown}\"", $"write {key.Name}: {key.Example}");
                    return null;
                }

                return s;
            case KeyFormat.TargetUrl:
                {
                    var websocket = string.Equals(kind, TargetKinds.WebSocket, StringComparison.Ordinal);
                    var schemes = websocket ? new[] { "ws", "wss" } : [Uri.UriSchemeHttp, Uri.UriSchemeHttps];
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var target) || !schemes.Contains(target.Scheme, StringComparer.Ordinal) || string.IsNullOrEmpty(target.Host))
                    {
                        var wanted = websocket ? "ws:// or wss://" : "http:// or https://";
                        var example = websocket ? "wss://api.example.test/ws" : key.Example;
                        Error(node, $"'{key.Name}' {where} must be an absolute {wanted} URL, not \"{shown}\"", $"write {key.Name}: {example}");
                        return null;
                    }

                    return s;
                }

            case KeyFormat.FilePath:
                return s with { Value = Path.GetFullPath(value, _baseDirectory) };
            case KeyFormat.JsonPath:
                if (!JsonPathPattern().IsMatch(value))
                {
                    Error(node, $"bad JSON path \"{shown}\" for '{key.Name}' {where}", "write $ followed by .name or [index] steps, e.g. \"$.token\" or \"$.data.tokens[0]\"");
                    return null;
                }

                return s;
            case KeyFormat.EventName:
                var question = value.IndexOf('?', StringComparison.Ordinal);
                if (value.TrimEnd('?').Length == 0 || value.Any(char.IsWhiteSpace) || (question >= 0 && question < value.Length - 1))
                {
                    Error(node, $"bad event name \"{shown}\" in '{key.Name}' {where}", "write the event's name, with a final ? when it is optional, e.g. agent_thinking?");
                    return null;
                }

                return s;
            case KeyFormat.Resolver:
                if (!IsResolver(value))
                {
                    Error(node, $"bad resolver \"{shown}\" for '{key.Name}' {where}", "write host:port or an IP address, e.g. \"127.0.0.1:5353\" or 10.0.0.2");
                    return null;
                }

                return s;
            case KeyFormat.Host:
                if (value.Contains("://", StringComparison.Ordinal) || value.Any(c => char.IsWhiteSpace(c) || c == '/'))
                {
                    Error(node, $"'{key.Name}' {where} must be a host name or IP address, not \"{shown}\"", "write only the host, e.g. api.example.test; put the port in 'port'");
                    return null;
                }

                return s;
            case KeyFormat.ExistingFile:
                {
                    var path = Path.GetFullPath(value, _baseDirectory);
                    if (!File.Exists(path))
                    {
                        Error(node, $"'{key.Name}' {where}: file not found: {(s.FromEnvironment ? shown : path)}", "paths are relative to the config file's directory");
                        return null;
                    }

                    return s with { Value = path };
                }

            case KeyFormat.Directory:
                return s with { Value = Path.GetFullPath(value, _baseDirectory) };
            case KeyFormat.ExistingDirectory:
                {
                    var path = Path.GetFullPath(value, _baseDirectory);
                    if (!System.IO.Directory.Exists(path))
                    {
                        Error(node, $"'{key.Name}' {where}: directory not found: {(s.FromEnvironment ? shown : path)}", "paths are relative to the config file's directory");
                        return null;
                    }

                    return s with { Value = path };
                }

            case KeyFormat.OneOf:
                if (key.Values is { } allowed && !allowed.Contains(value, StringComparer.Ordinal))
                {
                    var suggestion = Suggestions.Nearest(value, allowed);
                    Error(node, $"unknown {key.Name} \"{shown}\" {where}", (suggestion is null ? string.Empty : $"did you mean '{suggestion}'? ") + "write one of " + string.Join(", ", allowed));
                    return null;
                }

                return s;
            case KeyFormat.Store:
                return CheckStore(key, s, where);
            case KeyFormat.TemplateUrl:
                {
                    var filled = value.Replace("{port}", "1", StringComparison.Ordinal).Replace("{instance}", "1", StringComparison.Ordinal);
                    if (!Uri.TryCreate(filled, UriKind.Absolute, out var ready) || (ready.Scheme != Uri.UriSchemeHttp && ready.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(ready.Host))
                    {
                        Error(node, $"'{key.Name}' {where} must be an absolute http:// or https:// URL (with {{port}} and {{instance}} where each instance differs), not \"{shown}\"", $"write {key.Name}: {key.Example}");
                        return null;
                    }

                    return s;
                }

            case KeyFormat.Condition:
                return CheckCondition(s, where);
            case KeyFormat.Regex:
                try
                {
                    _ = new Regex(value, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                    return s;
                }
                catch (ArgumentException ex)
                {
                    var message = s.FromEnvironment ? "it is not a valid regular expression" : ex.Message;
                    Error(node, $"bad pattern \"{shown}\" for '{key.Name}' {where}: {message}", "write a .NET regular expression, e.g. \"^https://\"");
                    return null;
                }

            case KeyFormat.HttpMethod:
                if (!value.All(char.IsAsciiLetter))
                {
                    Error(node, $"bad HTTP method \"{shown}\" {where}", "write GET, HEAD, POST, ...");
                    return null;
                }

                return s with { Value = value.ToUpperInvariant() };
            case KeyFormat.SecretName:
                if (value.Any(c => char.IsWhiteSpace(c) || c is '/' or '\\'))
                {
                    Error(node, $"bad secret name \"{shown}\" {where}", "a secret name is one word, e.g. DATABASE_URL");
                    return null;
                }

                return s;
            case KeyFormat.RecordType:
                {
                    var upper = value.ToUpperInvariant();
                    if (key.Values is { } values && !values.Contains(upper, StringComparer.Ordinal))
                    {
                        Error(node, $"unknown record type \"{shown}\" {where}", "write one of " + string.Join(", ", values));
                        return null;
                    }

                    return s with { Value = upper };
                }

            default:
                return s;
        }
    }

    /// <summary><c>sqlite:PATH</c> (PATH made absolute) or <c>postgres:CONNSTRING</c>; messages never quote a connection string.</summary>
    private LocatedString? CheckStore(ConfigKey key, LocatedString s, string where)
    {
        const string Sqlite = "sqlite:";
        const string Postgres = "postgres:";
        const string Hint = "write store: \"sqlite:./faultline.db\" (a file, relative to the config file) or store: \"postgres:Host=127.0.0.1;Database=faultline;Username=faultline;Password=${PGPASSWORD}\"";
        var value = s.Value;
        if (value.StartsWith(Sqlite, StringComparison.Ordinal))
        {
            var path = value[Sqlite.Length..];
            if (path.Trim().Length == 0)
            {
                Error(s.Node, $"'{key.Name}' {where} names no file after sqlite:", Hint);
                return null;
            }

            return s with { Value = Sqlite + Path.GetFullPath(path, _baseDirectory) };
        }

        if (value.StartsWith(Postgres, StringComparison.Ordinal))
        {
            var connection = value[Postgres.Length..];
            if (connection.Trim().Length == 0 || connection.StartsWith("//", StringComparison.Ordinal) || !connection.Contains('=', StringComparison.Ordinal))
            {
                Error(s.Node, $"'{key.Name}' {where} needs a key=value connection string after postgres:", Hint);
                return null;
            }

            return s;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 ? value[..colon] : null;
        string message;
        if (scheme is not null && scheme.All(char.IsAsciiLetterOrDigit) && !s.FromEnvironment)
        {
            var suggestion = Suggestions.Nearest(scheme, ["sqlite", "postgres"]) ?? (scheme.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) ? "postgres" : null);
            message = $"unknown store \"{scheme}:\" for '{key.Name}' {where}" + (suggestion is null ? string.Empty : $" (did you mean {suggestion}:?)");
        }
        else
        {
            message = $"'{key.Name}' {where} must start with sqlite: or postgres:";
        }

        Error(s.Node, message, Hint);
        return null;
    }

    private double? ReadNumber(ConfigKey key, YamlNode node, string where)
    {
        var s = Scalar(node, key, where);
        if (s is null)
        {
            return null;
        }

        var range = $"{key.Minimum?.ToString(CultureInfo.InvariantCulture) ?? "any"}..{key.Maximum?.ToString(CultureInfo.InvariantCulture) ?? "any"}";
        var share = key is { Minimum: 0, Maximum: 1 };
        var text = s.Value.Trim();
        if (text.EndsWith('%'))
        {
            Error(node, $"'{key.Name}' {where} must be a number in {range}, not a percentage (\"{s.Display}\")", share ? $"write the share as a fraction: {key.Name}: 0.8 means 80 %" : $"write {key.Name}: {key.Example}");
            return null;
        }

        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            Error(node, $"'{key.Name}' {where} must be a number in {range}, not \"{s.Display}\"", $"write {key.Name}: {key.Example}");
            return null;
        }

        if ((key.Minimum is { } min && number < min) || (key.Maximum is { } max && number > max))
        {
            var hint = share && number > 1 && number <= 100 && !s.FromEnvironment
                ? $"a share is written as a fraction: {key.Name}: {(number / 100).ToString(CultureInfo.InvariantCulture)} means {text} %"
                : $"write a number in {range}";
            Error(node, $"'{key.Name}' {where} is {(s.FromEnvironment ? "out of range" : text)}; it must be in {range}", hint);
            return null;
        }

        return number;
    }

    private DateTimeOffset? ReadTimestamp(ConfigKey key, YamlNode node, string where)
    {
        var s = Scalar(node, key, where);
        if (s is null)
        {
            return null;
        }

        const string Hint = "write an ISO-8601 timestamp with Z or an offset, e.g. 2026-11-26T02:00:00Z or 2026-11-26T03:00:00+01:00";
        if (!TimestampPattern().IsMatch(s.Value)
            || !DateTimeOffset.TryParse(s.Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var timestamp))
        {
            var noOffset = DateTime.TryParse(s.Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) && !OffsetSuffix().IsMatch(s.Value);
            Error(node, $"bad timestamp \"{s.Display}\" for '{key.Name}' {where}{(noOffset ? " (it has no offset: which time zone would it be?)" : string.Empty)}", Hint);
            return null;
        }

        return timestamp;
    }

    private LocatedString? CheckCondition(LocatedString s, string where)
    {
        try
        {
            _ = ConditionParser.Parse(s.Value);
            return s;
        }
        catch (ConditionSyntaxException ex)
        {
            if (s.FromEnvironment)
            {
                Error(s.Node, $"bad condition \"{s.Raw}\" {where} once environment variables are filled in", "check the variables it uses; see docs/conditions.md");
                return null;
            }

            var location = s.Node is YamlScalarNode scalar ? LocationInScalar(scalar, ex.Column - 1) : Location(s.Node);
            Error(location, $"bad condition \"{s.Value}\" {where}: {ex.Message}", string.IsNullOrEmpty(ex.Hint) ? null : ex.Hint);
            return null;
        }
    }

    internal static bool IsResolver(string value)
    {
        if (value.Count(c => c == ':') > 1 && !value.Contains('[', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(value, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        if (!value.Contains(':', StringComparison.Ordinal))
        {
            return value.Count(c => c == '.') == 3 && value.All(c => char.IsAsciiDigit(c) || c == '.') && IPAddress.TryParse(value, out _);
        }

        string host;
        string port;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= value.Length || value[close + 1] != ':')
            {
                return false;
            }

            host = value[1..close];
            port = value[(close + 2)..];
            if (!IPAddress.TryParse(host, out _))
            {
                return false;
            }
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon <= 0 || value.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return false;
            }

            host = value[..colon];
            port = value[(colon + 1)..];
        }

        return host.Length > 0
            && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':')
            && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535;
    }

    private static int ToInt(long value) => (int)Math.Clamp(value, 1, int.MaxValue);

    [GeneratedRegex(ConfigSchema.TimestampPattern, RegexOptions.CultureInvariant)]
    private static partial Regex TimestampPattern();

    [GeneratedRegex(@"(Z|[+-][0-9]{2}:?[0-9]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetSuffix();

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();

    [GeneratedRegex(@"^\$((\.[A-Za-z_][A-Za-z0-9_-]*)|(\[[0-9]+\])|(\['[^']+'\]))*$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonPathPattern();
}
