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
    /// <summary>
    /// Load a config file. Only a regular file of at most <see cref="ConfigLimits.MaxFileBytes"/> is read (a FIFO, a
    /// device or a directory is refused before it is opened); every other bound of <see cref="ConfigLimits"/> holds
    /// too. <paramref name="cancellationToken"/> stops reading and parsing (<see cref="OperationCanceledException"/>).
    /// </summary>
    public static FaultlineConfig LoadFile(string path, Func<string, string?>? getEnvironmentVariable = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var text = ConfigFile.Read(path, fullPath, cancellationToken);
        var directory = Path.GetDirectoryName(fullPath) ?? Directory.GetCurrentDirectory();
        return Load(text, path, fullPath, directory, getEnvironmentVariable, cancellationToken);
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
        ConfigFile.CheckTextSize(displayPath, yaml);
        return Load(yaml, displayPath, null, Path.GetFullPath(baseDirectory), getEnvironmentVariable, CancellationToken.None);
    }

    private static FaultlineConfig Load(string text, string displayPath, string? sourcePath, string baseDirectory, Func<string, string?>? getEnvironmentVariable, CancellationToken cancellationToken)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        ConfigFile.CheckPrintable(displayPath, text);
        var reader = new ConfigReader(text, displayPath, baseDirectory, getEnvironmentVariable ?? Environment.GetEnvironmentVariable);
        var root = Parse(text, displayPath, reader, cancellationToken);
        FaultlineConfig? config = null;
        if (root is not null)
        {
            var section = reader.ReadSection(root, ConfigKeys.Root, null, "at the top level");
            config = Build(section, reader, sourcePath, baseDirectory);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (reader.ErrorCount > 0 || config is null)
        {
            throw new ConfigException(reader.Errors, reader.ErrorCount);
        }

        return config with { Secrets = reader.Secrets };
    }

    private static YamlMappingNode? Parse(string text, string displayPath, ConfigReader reader, CancellationToken cancellationToken)
    {
        var stream = new YamlStream();
        try
        {
            // The bounds first, on the parser's events alone: a document past them is refused before the model, which
            // costs several times as much per node, is built.
            BoundedParser.Check(text, cancellationToken);
            stream.Load(new BoundedParser(new Parser(new StringReader(text)), cancellationToken));
        }
        catch (ConfigLimitException ex)
        {
            reader.Error(reader.Location(ex.Start), ex.Message, ex.Hint);
            return null;
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
            var keys = string.Join(", ", ConfigKeys.InScope(ConfigKeys.Root).Select(k => k.Name));
            reader.Error(stream.Documents[0].RootNode, $"the config must be a mapping of keys ({keys})", "start with targets: and a list of targets; see docs/config.md");
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
        var parser = new BoundedParser(new Parser(new StringReader(text)), CancellationToken.None);
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
        catch (Exception ex) when (ex is YamlException or ConfigLimitException or InvalidOperationException)
        {
            return null;
        }

        return null;
    }

    private static Mark LastParsedPosition(string text)
    {
        var parser = new BoundedParser(new Parser(new StringReader(text)), CancellationToken.None);
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
        catch (ConfigLimitException ex)
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
                CheckDeadline = d.GetValue<TimeSpan>("checkDeadline") ?? DefaultsSpec.DefaultCheckDeadline,
                Owner = Owner(d),
            };
        }

        var sections = root.Get<List<Section>>("targets") ?? [];
        if (ConfigReader.Child(root.Node, "targets") is YamlSequenceNode { Children.Count: 0 } emptyTargets)
        {
            reader.Error(emptyTargets, "'targets' is empty", "add at least one target: - { name: api, kind: http, url: https://... }");
        }

        var targets = sections.Select(BuildTarget).Where(t => t is not null).Select(t => WithDeadline(t!, defaults) with { Owner = t!.Owner ?? defaults.Owner }).ToList();
        CheckNames(sections, reader, "target");
        CheckDeadlines(sections, reader);
        CheckDependencies(sections, reader);
        CheckLoadTargets(sections, reader);

        var alertSections = root.Get<List<Section>>("alerts") ?? [];
        var alerts = alertSections.Select(a => BuildAlert(a, baseDirectory)).OfType<AlertSpec>().ToList();
        CheckNames(alertSections, reader, "alert");
        CheckAlertReferences(sections, alertSections, reader);

        return new FaultlineConfig
        {
            Environment = root.String("environment"),
            Defaults = defaults,
            Resolver = root.String("resolver"),
            Targets = targets,
            Monitor = BuildMonitor(root.Get<Section>("monitor"), sections, reader),
            Alerts = alerts,
            Validation = BuildValidation(root.Get<Section>("validation"), sections, reader),
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
            Owner = Owner(t),
            Conditions = t.List("conditions").Select(v => v.Value).ToList(),
            DependsOn = t.List("dependsOn").Select(v => v.Value).ToList(),
            Service = t.String("service"),
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
            Interval = t.GetValue<TimeSpan>("interval") ?? defaults.Interval,
            FailureThreshold = t.GetValue<int>("failureThreshold") ?? defaults.FailureThreshold,
            SuccessThreshold = t.GetValue<int>("successThreshold") ?? defaults.SuccessThreshold,
            DegradedAbove = t.GetValue<TimeSpan>("degradedAbove"),
            Alerts = t.List("alerts").Select(v => v.Value).ToList(),
            Of = t.String("of"),
            Parallel = t.GetValue<int>("parallel") ?? defaults.Parallel,
            Run = t.String("run"),
            Env = t.Get<Dictionary<string, string>>("env") ?? defaults.Env,
            WorkingDir = t.String("workingDir"),
            ReadyUrl = t.String("readyUrl"),
            Instances = t.GetValue<int>("instances") ?? defaults.Instances,
            Location = t.Location,
        };
    }

    private static AlertSpec? BuildAlert(Section a, string baseDirectory)
    {
        var name = a.String("name");
        var kind = a.String("kind");
        if (name is null || kind is null)
        {
            return null;
        }

        var defaults = new AlertSpec { Name = name, Kind = kind };
        return new AlertSpec
        {
            Name = name,
            Kind = kind,
            Url = a.String("url"),
            Format = a.String("format") ?? defaults.Format,
            Headers = a.Get<Dictionary<string, string>>("headers") ?? defaults.Headers,
            Run = a.String("run"),
            Retries = a.GetValue<int>("retries") ?? defaults.Retries,
            Timeout = a.GetValue<TimeSpan>("timeout") ?? defaults.Timeout,
            WorkingDirectory = baseDirectory,
            Location = a.Location,
        };
    }

    private static MonitorSpec BuildMonitor(Section? m, List<Section> targets, ConfigReader reader)
    {
        var defaults = new MonitorSpec();
        if (m is null)
        {
            return defaults;
        }

        var raw = m.GetValue<TimeSpan>("rawRetention") ?? defaults.RawRetention;
        var rollup = m.GetValue<TimeSpan>("rollupRetention") ?? defaults.RollupRetention;
        if (rollup < raw && (ConfigReader.Child(m.Node, "rollupRetention") ?? ConfigReader.Child(m.Node, "rawRetention")) is { } retentionNode)
        {
            reader.Error(retentionNode, $"'rollupRetention' ({Model.Durations.Format(rollup)}) in 'monitor' is shorter than 'rawRetention' ({Model.Durations.Format(raw)})",
                "hourly rollups are made from raw results and are kept at least as long: raise rollupRetention or lower rawRetention");
        }

        var names = TargetNames(targets);
        var windows = new List<MaintenanceWindowSpec>();
        foreach (var window in m.Get<List<Section>>("maintenance") ?? [])
        {
            var from = window.GetValue<DateTimeOffset>("from");
            var until = window.GetValue<DateTimeOffset>("until");
            if (from is { } start && until is { } end && end <= start && ConfigReader.Child(window.Node, "until") is { } untilNode)
            {
                reader.Error(untilNode, $"'until' ({Timestamp(end)}) of a maintenance window is not after its 'from' ({Timestamp(start)})", "a window ends after it starts: check the dates and the offsets (Z is UTC)");
            }

            foreach (var target in window.List("targets"))
            {
                if (!names.Contains(target.Value))
                {
                    reader.Error(target.Node, $"the maintenance window names target '{target.Display}', which is not defined", NameHint(target.Value, names, "targets"));
                }
            }

            if (from is { } f && until is { } u)
            {
                windows.Add(new MaintenanceWindowSpec
                {
                    From = f,
                    Until = u,
                    Targets = window.List("targets").Select(t => t.Value).Distinct(StringComparer.Ordinal).ToList(),
                    Reason = window.String("reason"),
                });
            }
        }

        return new MonitorSpec
        {
            Store = m.String("store"),
            FlapWindow = m.GetValue<TimeSpan>("flapWindow") ?? defaults.FlapWindow,
            FlapChanges = m.GetValue<int>("flapChanges") ?? defaults.FlapChanges,
            RawRetention = raw,
            RollupRetention = rollup,
            Reminder = m.GetValue<TimeSpan>("reminder"),
            Maintenance = windows,
        };
    }

    private static ValidationSpec? BuildValidation(Section? v, List<Section> targets, ConfigReader reader)
    {
        if (v is null)
        {
            return null;
        }

        var defaults = new ValidationSpec();
        var sections = v.Get<List<Section>>("categories") ?? [];
        CheckNames(sections, reader, "category");
        var categories = sections
            .Where(c => c.String("name") is not null)
            .Select(c => new CategorySpec
            {
                Name = c.String("name")!,
                Critical = c.GetValue<bool>("critical") ?? true,
                MinPassRate = c.GetValue<double>("minPassRate"),
            })
            .ToList();

        // A category whose name was rejected is already reported; checking targets against the rest would add false errors.
        if (categories.Count > 0 && categories.Count == sections.Count)
        {
            CheckCategories(targets, categories.Select(c => c.Name).Distinct(StringComparer.Ordinal).ToList(), reader);
        }

        return new ValidationSpec
        {
            MinPassRate = v.GetValue<double>("minPassRate") ?? defaults.MinPassRate,
            Runs = v.GetValue<int>("runs") ?? defaults.Runs,
            Interval = v.GetValue<TimeSpan>("interval") ?? defaults.Interval,
            Categories = categories,
        };
    }

    private static void CheckCategories(List<Section> targets, List<string> declared, ConfigReader reader)
    {
        foreach (var target in targets)
        {
            var name = target.String("name");
            if (name is null)
            {
                continue;
            }

            var category = target.Get<LocatedString>("category");
            if (category is null)
            {
                if (ConfigReader.HasKey(target.Node, "category"))
                {
                    continue;
                }

                if (!declared.Contains("default", StringComparer.Ordinal))
                {
                    reader.Error(target.Location, $"target '{name}' has no category, and validation.categories does not declare 'default'",
                        $"add category: {declared[0]} (declared: {string.Join(", ", declared)})");
                }

                continue;
            }

            if (!declared.Contains(category.Value, StringComparer.Ordinal))
            {
                reader.Error(category.Node, $"target '{name}' is in category '{category.Display}', which validation.categories does not declare", NameHint(category.Value, declared, "declared"));
            }
        }
    }

    private static void CheckAlertReferences(List<Section> targets, List<Section> alerts, ConfigReader reader)
    {
        var names = alerts.Select(a => a.String("name")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (names.Count < alerts.Count(a => ConfigReader.HasKey(a.Node, "name")))
        {
            // An alert whose name was rejected is already reported.
            return;
        }

        foreach (var target in targets)
        {
            foreach (var alert in target.List("alerts"))
            {
                if (names.Contains(alert.Value, StringComparer.Ordinal))
                {
                    continue;
                }

                var hint = names.Count == 0
                    ? $"declare it at the top level: alerts: [{{ name: {alert.Display}, kind: webhook, url: \"http://127.0.0.1:9000/hook\" }}]"
                    : NameHint(alert.Value, names, "alerts");
                reader.Error(alert.Node, $"target '{target.String("name")}' names alert '{alert.Display}', which is not declared in 'alerts'", hint);
            }
        }
    }

    /// <summary>A concurrency target's <c>of</c> names a defined target with a probe of its own.</summary>
    private static void CheckLoadTargets(List<Section> targets, ConfigReader reader)
    {
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            if (target.String("name") is { } name && target.String("kind") is { } kind)
            {
                byName.TryAdd(name, kind);
            }
        }

        var probes = byName.Where(p => p.Value is not (TargetKinds.Concurrency or TargetKinds.Startup)).Select(p => p.Key).ToList();
        var probeList = probes.Count == 0 ? "none is defined yet: add an http, tcp, postgres, ... target" : "targets it can name: " + string.Join(", ", probes);
        foreach (var target in targets)
        {
            if (target.Get<LocatedString>("of") is not { } of || target.String("name") is not { } name)
            {
                continue;
            }

            if (string.Equals(of.Value, name, StringComparison.Ordinal))
            {
                reader.Error(of.Node, $"target '{name}' names itself in 'of'", "of names the target whose probe runs in parallel; " + probeList);
            }
            else if (!byName.TryGetValue(of.Value, out var kind))
            {
                var suggestion = Suggestions.Nearest(of.Value, probes);
                reader.Error(of.Node, $"target '{name}' runs '{of.Display}' in parallel, which is not defined", suggestion is not null ? $"did you mean '{suggestion}'?" : probeList);
            }
            else if (kind is TargetKinds.Concurrency or TargetKinds.Startup)
            {
                reader.Error(of.Node, $"target '{name}' runs '{of.Display}' in parallel, a {kind} target; 'of' must name a target with a probe of its own", probeList);
            }
        }
    }

    private static HashSet<string> TargetNames(List<Section> targets) =>
        targets.Select(t => t.String("name")).OfType<string>().ToHashSet(StringComparer.Ordinal);

    private static string NameHint(string value, IReadOnlyCollection<string> names, string what)
    {
        var suggestion = Suggestions.Nearest(value, names);
        var list = $"{what}: {string.Join(", ", names)}";
        return suggestion is null ? list : $"did you mean '{suggestion}'? {list}";
    }

    private static string Timestamp(DateTimeOffset value) =>
        value.ToString(value.Offset == TimeSpan.Zero ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A websocket or startup target with a deadline and no timeout of its own gets deadline + defaults.timeout
    /// (websocket: login, connect and upgrade come first; startup: the instances are stopped after the deadline).
    /// </summary>
    /// <summary>The <c>owner</c> key of a target or of <c>defaults</c>: a side (the reader has checked the value).</summary>
    private static Model.Side? Owner(Section section) =>
        section.String("owner") is { } owner && Enum.TryParse<Model.Side>(owner, ignoreCase: true, out var side) ? side : null;

    private static TargetSpec WithDeadline(TargetSpec target, DefaultsSpec defaults) =>
        target is { Timeout: null, Deadline: { } deadline } ? target with { Timeout = deadline + defaults.Timeout } : target;

    private static void CheckDeadlines(List<Section> targets, ConfigReader reader)
    {
        foreach (var target in targets)
        {
            if (target.GetValue<TimeSpan>("deadline") is { } deadline && target.GetValue<TimeSpan>("timeout") is { } timeout && deadline >= timeout
                && ConfigReader.Child(target.Node, "deadline") is { } node)
            {
                var covers = string.Equals(target.String("kind"), TargetKinds.Startup, StringComparison.Ordinal) ? "stopping the instances" : "login, connect and upgrade";
                reader.Error(node, $"the deadline ({Model.Durations.Format(deadline)}) of target '{target.String("name")}' is not shorter than its timeout ({Model.Durations.Format(timeout)})",
                    $"the timeout also covers {covers}: make it longer than the deadline, or remove it (it then becomes deadline + defaults.timeout)");
            }
        }
    }

    private static void CheckNames(List<Section> sections, ConfigReader reader, string noun)
    {
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            if (section.Get<LocatedString>("name") is not { } name)
            {
                continue;
            }

            if (seen.TryGetValue(name.Value, out var first))
            {
                reader.Error(name.Node, $"duplicate {noun} name '{name.Display}'", $"it is already used at {first}; give each {noun} its own name");
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

            if (target.Get<LocatedString>("service") is { } service)
            {
                if (!byName.TryGetValue(service.Value, out var served))
                {
                    var suggestion = Suggestions.Nearest(service.Value, byName.Keys);
                    var hint = suggestion is not null ? $"did you mean '{suggestion}'?" : "name a target of kind remote";
                    reader.Error(service.Node, $"target '{name}' names service '{service.Display}', which is not defined", hint);
                }
                else if (served.String("kind") != TargetKinds.Remote)
                {
                    reader.Error(service.Node, $"target '{name}' names service '{service.Display}', which is of kind {served.String("kind")}, not remote",
                        "service names the remote target that reads the serving service's /health/infrastructure");
                }
                else if (string.Equals(service.Value, name, StringComparison.Ordinal))
                {
                    reader.Error(service.Node, $"target '{name}' names itself as its service", "remove service from the remote target");
                }
            }
        }

        // Depth-first search in declaration order, on a stack of its own (a chain of dependsOn can be as long as the
        // file has targets); each cycle is reported once, at its first target.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        var frames = new Stack<(string Name, int Next)>();
        foreach (var root in byName.Keys)
        {
            Enter(root);
            while (frames.TryPop(out var frame))
            {
                var edges = graph[frame.Name];
                if (frame.Next == edges.Count)
                {
                    path.RemoveAt(path.Count - 1);
                    state[frame.Name] = 2;
                    continue;
                }

                frames.Push((frame.Name, frame.Next + 1));
                var next = edges[frame.Next];
                if (!state.TryGetValue(next, out var s))
                {
                    Enter(next);
                }
                else if (s == 1)
                {
                    var cycle = path[path.IndexOf(next)..];
                    reader.Error(byName[next].Location, "dependsOn forms a cycle: " + CycleText(cycle), "remove one of these dependsOn entries");
                }
            }
        }

        void Enter(string name)
        {
            state[name] = 1;
            path.Add(name);
            frames.Push((name, 0));
        }
    }

    /// <summary><c>a → b → c → a</c>; a cycle of more than 12 targets shows its first and last 6.</summary>
    private static string CycleText(List<string> cycle)
    {
        const int Shown = 6;
        var names = cycle.Count <= 2 * Shown
            ? cycle
            : [.. cycle[..Shown], string.Create(System.Globalization.CultureInfo.InvariantCulture, $"… ({cycle.Count - 2 * Shown:N0} more)"), .. cycle[^Shown..]];
        return string.Join(" → ", names.Append(cycle[0]));
    }

    [GeneratedRegex(@"^\s*\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*", RegexOptions.CultureInvariant)]
    private static partial Regex LocationPrefix();

    [GeneratedRegex(@"(^|[-:,\[]\s*)\[(STATUS|RESPONSE_TIME|CONNECTED|BODY|HEADER|CERT_EXPIRES_IN|DNS_RCODE|IP)\b", RegexOptions.CultureInvariant)]
    private static partial Regex UnquotedCondition();
}
