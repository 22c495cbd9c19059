using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Faultline.Core.Config;

/// <summary>
/// Loads a Faultline YAML file: validates every key against one table, interpolates
/// <c>${VAR}</c>, parses durations and conditions, resolves relative paths, and reports every
/// problem at once as a <see cref="ConfigException"/> whose errors name file:line:column.
/// </summary>
public static partial class ConfigLoader
{
    public static FaultlineConfig LoadFile(string path, Func<string, string?>? getEnvironmentVariable = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (FileNotFoundException)
        {
            throw new ConfigException([new ConfigError(null, $"config file not found: {path}", "pass an existing file with --config FILE")]);
        }
        catch (DirectoryNotFoundException)
        {
            throw new ConfigException([new ConfigError(null, $"config file not found: {path}", "pass an existing file with --config FILE")]);
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError(null, $"cannot read config file {path}: permission denied", null)]);
        }
        catch (IOException ex)
        {
            throw new ConfigException([new ConfigError(null, $"cannot read config file {path}: {ex.Message}", null)]);
        }

        var directory = Path.GetDirectoryName(fullPath) ?? Directory.GetCurrentDirectory();
        return Load(text, path, fullPath, directory, getEnvironmentVariable);
    }

    /// <summary>
    /// Load from text. <paramref name="displayPath"/> names the source in messages; relative paths
    /// resolve against <paramref name="baseDirectory"/>. <see cref="FaultlineConfig.SourcePath"/> is null.
    /// </summary>
    public static FaultlineConfig LoadText(string yaml, string displayPath, string baseDirectory, Func<string, string?>? getEnvironmentVariable = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(displayPath);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        return Load(yaml, displayPath, null, Path.GetFullPath(baseDirectory), getEnvironmentVariable);
    }

    private static FaultlineConfig Load(string text, string displayPath, string? sourcePath, string baseDirectory, Func<string, string?>? getEnvironmentVariable)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var reader = new ConfigReader(text, displayPath, baseDirectory, getEnvironmentVariable ?? Environment.GetEnvironmentVariable);
        var root = Parse(text, displayPath, reader);
        FaultlineConfig? config = null;
        if (root is not null)
        {
            var section = reader.ReadSection(root, ConfigKeys.Root, null, "at the top level");
            config = Build(section, reader, sourcePath, baseDirectory);
        }

        if (reader.Errors.Count > 0 || config is null)
        {
            var errors = reader.Errors
                .Select((error, index) => (error, index))
                .OrderBy(e => e.error.Location?.Line ?? 0)
                .ThenBy(e => e.error.Location?.Column ?? 0)
                .ThenBy(e => e.index)
                .Select(e => e.error)
                .ToList();
            throw new ConfigException(errors);
        }

        return config;
    }

    private static YamlMappingNode? Parse(string text, string displayPath, ConfigReader reader)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            var location = reader.Location(ex.Start);
            if (ex.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstTabIndent(text) is { } tab)
            {
                location = location with { Line = tab.Line, Column = tab.Column };
            }

            reader.Error(location, "invalid YAML: " + YamlMessage(ex), YamlHint(text, location.Line));
            return null;
        }
        catch (ArgumentException)
        {
            // YamlDotNet's representation model rejects some well-formed event streams (an alias
            // where a node cannot start) without a position; report the first alias, where it happens.
            var at = FirstAlias(text) ?? new Mark();
            reader.Error(reader.Location(at), "invalid YAML: an alias (*name) cannot be used here", "write the value itself, or define the anchor (&name) on a complete node and refer to it as a value");
            return null;
        }
        catch (InvalidOperationException)
        {
            // A few malformed inputs make YamlDotNet fail without a position: point at the last
            // place the event parser reached.
            reader.Error(reader.Location(LastParsedPosition(text)), "invalid YAML: the structure cannot be read from here on", YamlHint(text, LastParsedPosition(text).Line));
            return null;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            reader.Error(new SourceLocation(displayPath, 1, 1), "the config is empty", "start with targets: and a list of targets; see docs/config.md");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            reader.Error(reader.Location(stream.Documents[1].RootNode), "more than one YAML document", "keep one document per config file (remove the '---')");
            return null;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            reader.Error(stream.Documents[0].RootNode, "the config must be a mapping of keys (environment, defaults, resolver, targets)", "start with targets: and a list of targets; see docs/config.md");
            return null;
        }

        return root;
    }

    private static string YamlMessage(YamlException ex)
    {
        var message = LocationPrefix().Replace(ex.Message, string.Empty).Trim();
        if (message.Length == 0 && ex.InnerException is not null)
        {
            message = ex.InnerException.Message;
        }

        if (message.StartsWith("Duplicate key", StringComparison.OrdinalIgnoreCase))
        {
            return "the same key appears twice in one mapping";
        }

        message = message.TrimEnd('.');
        return message.Length == 0 ? "syntax error" : char.ToLowerInvariant(message[0]) + message[1..];
    }

    private static (int Line, int Column)? FirstTabIndent(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent)
            {
                return (i + 1, tab + 1);
            }
        }

        return null;
    }

    private static Mark? FirstAlias(string text)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is AnchorAlias alias)
                {
                    return alias.Start;
                }
            }
        }
        catch (YamlException)
        {
            return null;
        }

        return null;
    }

    private static Mark LastParsedPosition(string text)
    {
        var parser = new Parser(new StringReader(text));
        var last = new Mark();
        try
        {
            while (parser.MoveNext())
            {
                last = parser.Current?.Start ?? last;
            }
        }
        catch (YamlException ex)
        {
            return ex.Start;
        }
        catch (InvalidOperationException)
        {
            return last;
        }

        return last;
    }

    private static string YamlHint(string text, long errorLine)
    {
        var lines = text.Split('\n');
        var line = (int)Math.Clamp(errorLine, 1, lines.Length);
        for (var i = Math.Max(0, line - 2); i < Math.Min(lines.Length, line + 1); i++)
        {
            if (UnquotedCondition().IsMatch(lines[i]))
            {
                return "quote each condition: - \"[STATUS] == 200\" (YAML reads an unquoted [ as the start of a list)";
            }
        }

        return "check indentation (spaces, not tabs) and quote values that contain ': ', '#' or start with [, {, *, &, !, |, >, ', \", %, @";
    }

    private static FaultlineConfig Build(Section root, ConfigReader reader, string? sourcePath, string baseDirectory)
    {
        var defaults = new DefaultsSpec();
        if (root.Get<Section>("defaults") is { } d)
        {
            defaults = new DefaultsSpec
            {
                Timeout = d.GetValue<TimeSpan>("timeout") ?? DefaultsSpec.DefaultTimeout,
                Concurrency = d.GetValue<int>("concurrency") ?? defaults.Concurrency,
            };
        }

        var sections = root.Get<List<Section>>("targets") ?? [];
        if (ConfigReader.Child(root.Node, "targets") is YamlSequenceNode { Children.Count: 0 } emptyTargets)
        {
            reader.Error(emptyTargets, "'targets' is empty", "add at least one target: - { name: api, kind: http, url: https://... }");
        }

        var targets = sections.Select(BuildTarget).Where(t => t is not null).Select(t => WithDeadline(t!, defaults)).ToList();
        CheckNames(sections, reader);
        CheckDeadlines(sections, reader);
        CheckDependencies(sections, reader);

        return new FaultlineConfig
        {
            Environment = root.String("environment"),
            Defaults = defaults,
            Resolver = root.String("resolver"),
            Targets = targets,
            SourcePath = sourcePath,
            BaseDirectory = baseDirectory,
        };
    }

    private static TargetSpec? BuildTarget(Section t)
    {
        var name = t.String("name");
        var kind = t.String("kind");
        if (name is null || kind is null)
        {
            return null;
        }

        TlsSpec? tls = null;
        if (t.Get<Section>("tls") is { } s)
        {
            tls = new TlsSpec
            {
                CaFile = s.String("caFile"),
                ServerName = s.String("serverName"),
                ClientCertFile = s.String("clientCertFile"),
                ClientKeyFile = s.String("clientKeyFile"),
                Insecure = s.GetValue<bool>("insecure") ?? false,
            };
        }

        var rules = new Dictionary<string, SecretRuleSpec>(StringComparer.Ordinal);
        foreach (var (ruleName, rule) in t.Get<Dictionary<string, Section>>("rules") ?? [])
        {
            rules[ruleName] = new SecretRuleSpec
            {
                MinLength = rule.GetValue<int>("minLength"),
                Scheme = rule.Has("scheme") ? rule.List("scheme").Select(v => v.Value).ToList() : null,
                Pattern = rule.String("pattern"),
            };
        }

        LoginSpec? login = null;
        if (t.Get<Section>("login") is { } l && l.String("url") is { } loginUrl)
        {
            login = new LoginSpec
            {
                Url = loginUrl,
                Body = l.String("body"),
                TokenPath = l.String("token") ?? "$.token",
                Headers = l.Get<Dictionary<string, string>>("headers") ?? new Dictionary<string, string>(),
            };
        }

        var defaults = new TargetSpec { Name = name, Kind = kind };
        return new TargetSpec
        {
            Name = name,
            Kind = kind,
            Critical = t.GetValue<bool>("critical") ?? defaults.Critical,
            Category = t.String("category") ?? defaults.Category,
            Conditions = t.List("conditions").Select(v => v.Value).ToList(),
            DependsOn = t.List("dependsOn").Select(v => v.Value).ToList(),
            Timeout = t.GetValue<TimeSpan>("timeout"),
            Tls = tls,
            Url = t.String("url"),
            Method = t.String("method") ?? defaults.Method,
            Headers = t.Get<Dictionary<string, string>>("headers") ?? defaults.Headers,
            Body = t.String("body"),
            FollowRedirects = t.GetValue<bool>("followRedirects") ?? defaults.FollowRedirects,
            MaxBodyBytes = t.GetValue<int>("maxBodyBytes") ?? defaults.MaxBodyBytes,
            Host = t.String("host"),
            Port = t.GetValue<int>("port") ?? (kind == TargetKinds.Tls ? 443 : null),
            RecordTypes = t.Has("recordTypes") ? t.List("recordTypes").Select(v => v.Value).Distinct(StringComparer.Ordinal).ToList() : defaults.RecordTypes,
            Resolver = t.String("resolver"),
            ConnectionString = t.String("connectionString"),
            Query = t.String("query"),
            Write = t.GetValue<bool>("write") ?? defaults.Write,
            Source = kind == TargetKinds.Secret ? t.Get<SecretSourceSpec>("source") ?? new SecretSourceSpec() : null,
            Required = t.List("required").Select(v => v.Value).ToList(),
            Rules = rules,
            Login = login,
            Send = t.String("send"),
            Expect = t.List("expect").Select(v => v.Value).ToList(),
            EventField = t.String("eventField") ?? defaults.EventField,
            Deadline = t.GetValue<TimeSpan>("deadline"),
            ApiKey = t.String("apiKey"),
            TerminationFile = t.String("terminationFile"),
            Location = t.Location,
        };
    }

    /// <summary>A websocket target with a deadline and no timeout of its own gets deadline + defaults.timeout (login, connect and upgrade come first).</summary>
    private static TargetSpec WithDeadline(TargetSpec target, DefaultsSpec defaults) =>
        target is { Timeout: null, Deadline: { } deadline } ? target with { Timeout = deadline + defaults.Timeout } : target;

    private static void CheckDeadlines(List<Section> targets, ConfigReader reader)
    {
        foreach (var target in targets)
        {
            if (target.GetValue<TimeSpan>("deadline") is { } deadline && target.GetValue<TimeSpan>("timeout") is { } timeout && deadline >= timeout
                && ConfigReader.Child(target.Node, "deadline") is { } node)
            {
                reader.Error(node, $"the deadline ({Model.Durations.Format(deadline)}) of target '{target.String("name")}' is not shorter than its timeout ({Model.Durations.Format(timeout)})",
                    "the timeout also covers login, connect and upgrade: make it longer than the deadline, or remove it (it then becomes deadline + defaults.timeout)");
            }
        }
    }

    private static void CheckNames(List<Section> targets, ConfigReader reader)
    {
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            if (target.Get<LocatedString>("name") is not { } name)
            {
                continue;
            }

            if (seen.TryGetValue(name.Value, out var first))
            {
                reader.Error(name.Node, $"duplicate target name '{name.Display}'", $"it is already used at {first}; give each target its own name");
            }
            else
            {
                seen[name.Value] = reader.Location(name.Node);
            }
        }
    }

    private static void CheckDependencies(List<Section> targets, ConfigReader reader)
    {
        var byName = new Dictionary<string, Section>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            if (target.String("name") is { } name)
            {
                byName.TryAdd(name, target);
            }
        }

        var graph = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, target) in byName)
        {
            var edges = new List<string>();
            foreach (var dependency in target.List("dependsOn"))
            {
                if (byName.ContainsKey(dependency.Value))
                {
                    edges.Add(dependency.Value);
                    continue;
                }

                var suggestion = Suggestions.Nearest(dependency.Value, byName.Keys);
                var hint = suggestion is not null ? $"did you mean '{suggestion}'?" : "targets: " + string.Join(", ", byName.Keys);
                reader.Error(dependency.Node, $"target '{name}' depends on '{dependency.Display}', which is not defined", hint);
            }

            graph[name] = edges;
        }

        // Depth-first search in declaration order; each cycle is reported once, at its first target.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new List<string>();
        foreach (var name in byName.Keys)
        {
            Visit(name);
        }

        void Visit(string name)
        {
            state[name] = 1;
            stack.Add(name);
            foreach (var next in graph[name])
            {
                if (!state.TryGetValue(next, out var s))
                {
                    Visit(next);
                }
                else if (s == 1)
                {
                    var cycle = stack.Skip(stack.IndexOf(next)).Append(next).ToList();
                    reader.Error(byName[next].Location, "dependsOn forms a cycle: " + string.Join(" → ", cycle), "remove one of these dependsOn entries");
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[name] = 2;
        }
    }

    [GeneratedRegex(@"^\s*\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*", RegexOptions.CultureInvariant)]
    private static partial Regex LocationPrefix();

    [GeneratedRegex(@"(^|[-:,\[]\s*)\[(STATUS|RESPONSE_TIME|CONNECTED|BODY|HEADER|CERT_EXPIRES_IN|DNS_RCODE|IP)\b", RegexOptions.CultureInvariant)]
    private static partial Regex UnquotedCondition();
}
