using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Lab.Relay;
using Faultline.Lab.Stack;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Faultline.Lab.Scenarios;

/// <summary>
/// Reads scenario files (<c>examples/lab/*.yaml</c>). Every problem is reported at once as a
/// <see cref="ConfigException"/> whose errors name file:line:column, as for check configs; unknown
/// keys are errors.
/// </summary>
public static class ScenarioLoader
{
    /// <summary>The relay links of the lab: service → Postgres, service → Redis, nginx → service.</summary>
    public static IReadOnlyList<string> Links { get; } = ["db", "cache", "upstream"];

    /// <summary>The secrets <c>secret: { rotate: NAME }</c> can rotate on the server side.</summary>
    public static IReadOnlyList<string> RotatableSecrets => LabActions.RotatableSecrets;

    /// <summary>The broken certificate states <c>cert:</c> can deploy on the load balancer.</summary>
    public static IReadOnlyList<string> CertStates => LabActions.CertStates;

    /// <summary>The file the runner checks with, beside the scenarios: <c>check.yaml</c> is not a scenario.</summary>
    public const string CheckFileName = "check.yaml";

    /// <summary>The lab's <c>faultline validate</c> config, beside the scenarios: <c>validate.yaml</c> is not a scenario either.</summary>
    public const string ValidateFileName = "validate.yaml";

    private static readonly string[] TopKeys = ["name", "description", "faults", "settle", "expect"];
    private static readonly string[] SettleKeys = ["until", "delay", "timeout"];
    private static readonly string[] ExpectKeys = ["status", "target", "layer", "side", "findings"];

    private static readonly string[] FindingKeys = ["target", "dependency"];

    /// <summary>Load one scenario file.</summary>
    /// <exception cref="ConfigException">The file is missing, unreadable or invalid; every error names file:line:column.</exception>
    public static Scenario LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException([new ConfigError(null, $"scenario file not found: {path}", "pass an existing file with --scenario-file FILE, or a name with --scenario NAME")]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError(null, $"cannot read scenario file {path}: {ex.Message}", null)]);
        }

        return LoadText(text, path) with { SourcePath = fullPath };
    }

    /// <summary>Every <c>*.yaml</c> / <c>*.yml</c> of a directory except <c>check.yaml</c>, sorted by file name; errors of all files are reported together.</summary>
    /// <exception cref="ConfigException">A file is invalid, two scenarios share a name, or the directory has none.</exception>
    public static IReadOnlyList<Scenario> LoadDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new ConfigException([new ConfigError(null, $"scenario directory not found: {directory}", null)]);
        }

        var files = Directory.EnumerateFiles(directory)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Where(f => !string.Equals(Path.GetFileName(f), CheckFileName, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(Path.GetFileName(f), ValidateFileName, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();

        var scenarios = new List<Scenario>();
        var errors = new List<ConfigError>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                var scenario = LoadFile(file);
                if (names.TryGetValue(scenario.Name, out var first))
                {
                    errors.Add(new ConfigError(new SourceLocation(file, 1, 1), $"scenario name '{scenario.Name}' is also used by {first}", "give each scenario its own name"));
                    continue;
                }

                names[scenario.Name] = file;
                scenarios.Add(scenario);
            }
            catch (ConfigException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        if (scenarios.Count == 0)
        {
            throw new ConfigException([new ConfigError(null, $"no scenario files (*.yaml) in {directory}", null)]);
        }

        return scenarios;
    }

    /// <summary>Load a scenario from text; <paramref name="displayPath"/> names the source in messages.</summary>
    /// <exception cref="ConfigException">The scenario is invalid.</exception>
    public static Scenario LoadText(string yaml, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(displayPath);
        var reader = new Reader(displayPath);
        var scenario = reader.Read(yaml.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (reader.Errors.Count > 0 || scenario is null)
        {
            throw new ConfigException([.. reader.Errors.OrderBy(e => e.Location?.Line ?? 0).ThenBy(e => e.Location?.Column ?? 0)]);
        }

        return scenario;
    }

    private sealed class Reader(string displayPath) : ILabActionReader
    {
        public List<ConfigError> Errors { get; } = [];

        private SourceLocation At(YamlNode node) =>
            new(displayPath, (int)Math.Min(node.Start.Line, int.MaxValue), (int)Math.Min(node.Start.Column, int.MaxValue));

        public void Error(YamlNode node, string message, string? hint = null) => Errors.Add(new ConfigError(At(node), message, hint));

        public Scenario? Read(string text)
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(text));
            }
            catch (YamlException ex)
            {
                var message = ex.Message;
                var dash = message.IndexOf("): ", StringComparison.Ordinal);
                message = dash >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(dash + 3)..] : message;
                Errors.Add(new ConfigError(
                    new SourceLocation(displayPath, (int)Math.Min(ex.Start.Line, int.MaxValue), (int)Math.Min(ex.Start.Column, int.MaxValue)),
                    "invalid YAML: " + message.TrimEnd('.'),
                    "check indentation (spaces, not tabs) and quote values that contain ': ' or '#'"));
                return null;
            }

            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" or "~" or "null" })
            {
                Errors.Add(new ConfigError(new SourceLocation(displayPath, 1, 1), "the scenario is empty", "write name:, faults: and expect:; see docs/lab.md"));
                return null;
            }

            if (stream.Documents.Count > 1)
            {
                Error(stream.Documents[1].RootNode, "more than one YAML document", "keep one scenario per file (remove the '---')");
                return null;
            }

            if (stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                Error(stream.Documents[0].RootNode, "a scenario must be a mapping with name, description, faults, settle and expect", "see docs/lab.md");
                return null;
            }

            var keys = Keys(root, TopKeys, "in a scenario");
            var name = RequiredScalar(root, keys, "name", "in a scenario", "name: db-path-saturated");
            if (name is not null && !IsName(name.Value!))
            {
                Error(name, $"scenario name '{name.Value}' must be lower-case letters, digits and '-'", "e.g. name: db-path-saturated");
            }

            string? description = null;
            if (keys.TryGetValue("description", out var d))
            {
                description = Scalar(d, "description")?.Value;
            }

            var faults = new List<ScenarioFault>();
            if (keys.TryGetValue("faults", out var f))
            {
                if (f is YamlSequenceNode list)
                {
                    foreach (var item in list.Children)
                    {
                        if (ReadFault(item) is { } fault)
                        {
                            faults.Add(fault);
                        }
                    }
                }
                else if (!IsNull(f))
                {
                    Error(f, "'faults' must be a list", "faults:\n  - { link: db, fault: latency, delay: 5s }");
                }
            }

            var settle = keys.TryGetValue("settle", out var s) ? ReadSettle(s) : new ScenarioSettle();
            ScenarioExpectation? expect = null;
            if (keys.TryGetValue("expect", out var e))
            {
                expect = ReadExpect(e, faults.Count);
            }
            else
            {
                Error(root, "the scenario has no 'expect'", "say what a correct verdict is: expect: { status: healthy } or expect: { target: api/postgres, layer: database, side: infrastructure }");
            }

            if (name is null || expect is null || Errors.Count > 0)
            {
                return null;
            }

            return new Scenario { Name = name.Value!, Description = description, Faults = faults, Settle = settle, Expect = expect };
        }

        private ScenarioFault? ReadFault(YamlNode node)
        {
            if (node is not YamlMappingNode map || map.Children.Count == 0)
            {
                Error(node, "each fault must be a mapping: a relay fault { link, fault, ... } or one lab action", "e.g. - { link: db, fault: blackhole } or - { stop: redis }");
                return null;
            }

            var names = map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? string.Empty).ToList();
            if (names.Contains("link") || names.Contains("fault"))
            {
                return ReadRelayFault(map);
            }

            if (map.Children.Count > 1)
            {
                Error(map, $"a lab action has exactly one key, this entry has {map.Children.Count} ({string.Join(", ", names)})", "write one action per list entry");
                return null;
            }

            var (keyNode, value) = map.Children.First();
            var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var location = At(map);
            var action = LabActions.Syntax.FirstOrDefault(a => string.Equals(a.Key, key, StringComparison.Ordinal)) is { } syntax
                ? syntax.Read(this, value)
                : Unknown(keyNode, key);
            return action is null ? null : action with { Location = location };
        }

        private LabAction? Unknown(YamlNode keyNode, string key)
        {
            var all = LabActions.Keys.Append("link");
            var near = Nearest(key, all);
            Error(keyNode, $"unknown fault '{key}'", near is not null ? $"did you mean '{near}'?" : "a fault is { link, fault, ... } or one of: " + string.Join(", ", LabActions.Keys));
            return null;
        }

        public bool Known((string Key, string Value, YamlNode Node) entry, string key, IReadOnlyList<string> known)
        {
            if (known.Contains(entry.Value))
            {
                return true;
            }

            var near = Nearest(entry.Value, known);
            Error(entry.Node, $"{key}: the lab has no '{entry.Value}'", (near is not null ? $"did you mean '{near}'? " : string.Empty) + "known: " + string.Join(", ", known));
            return false;
        }

        private RelayFault? ReadRelayFault(YamlMappingNode map)
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            YamlScalarNode? link = null;
            var ok = true;
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                if (LabActions.Keys.Contains(key))
                {
                    Error(keyNode, $"'{key}' is a lab action and cannot be combined with a relay fault in one entry", "put each action in its own list entry: - { " + key + ": ... }");
                    ok = false;
                    continue;
                }

                if (Scalar(valueNode, key) is not { } scalar)
                {
                    ok = false;
                    continue;
                }

                if (key == "link")
                {
                    link = scalar;
                }
                else
                {
                    fields[key] = scalar.Value ?? string.Empty;
                }
            }

            if (!ok)
            {
                return null;
            }

            if (link is null)
            {
                Error(map, "a relay fault needs 'link'", "the lab's links: " + string.Join(", ", Links) + ", e.g. { link: db, fault: blackhole }");
                return null;
            }

            if (!Links.Contains(link.Value))
            {
                var near = Nearest(link.Value ?? string.Empty, Links);
                Error(link, $"unknown link '{link.Value}'", (near is not null ? $"did you mean '{near}'? " : string.Empty) + "the lab's links: " + string.Join(", ", Links));
                ok = false;
            }

            if (!fields.ContainsKey("fault"))
            {
                Error(map, $"the relay fault on link '{link.Value}' needs 'fault'", "fault: latency|blackhole|reset|refuse|bandwidth|connection-cap|slow-accept|drop");
                return null;
            }

            if (!FaultSpec.TryParse(fields, out var spec, out var problem))
            {
                Error(map, $"relay fault on link '{link.Value}': {problem}");
                return null;
            }

            return ok ? new RelayFault(link.Value!, spec) { Location = At(map) } : null;
        }

        private ScenarioSettle ReadSettle(YamlNode node)
        {
            var settle = new ScenarioSettle();
            if (node is not YamlMappingNode map)
            {
                Error(node, "'settle' must be a mapping", "settle: { until: stable, delay: 1s, timeout: 20s }");
                return settle;
            }

            var keys = Keys(map, SettleKeys, "in settle");
            if (keys.TryGetValue("until", out var until) && OneOf(until, "settle.until", ["stable", "app-exited"]) is { } mode)
            {
                settle = settle with { Until = mode == "stable" ? SettleMode.Stable : SettleMode.AppExited };
            }

            if (keys.TryGetValue("delay", out var delay) && Duration(delay, "settle.delay") is { } d)
            {
                if (d >= ScenarioSettle.MaxTimeout)
                {
                    Error(delay, $"settle.delay ({Durations.Format(d)}) must be shorter than {Durations.Format(ScenarioSettle.MaxTimeout)}", "a scenario is settled and judged within 20s");
                }
                else
                {
                    settle = settle with { Delay = d };
                }
            }

            if (keys.TryGetValue("timeout", out var timeout) && Duration(timeout, "settle.timeout") is { } t)
            {
                if (t <= TimeSpan.Zero || t > ScenarioSettle.MaxTimeout)
                {
                    Error(timeout, $"settle.timeout ({Durations.Format(t)}) must be more than 0 and at most {Durations.Format(ScenarioSettle.MaxTimeout)}", "a scenario is settled and judged within 20s");
                }
                else
                {
                    settle = settle with { Timeout = t };
                }
            }

            if (settle.Delay >= settle.Timeout)
            {
                Error(map, $"settle.delay ({Durations.Format(settle.Delay)}) must be shorter than settle.timeout ({Durations.Format(settle.Timeout)})");
            }

            return settle;
        }

        private ScenarioExpectation? ReadExpect(YamlNode node, int faultCount)
        {
            if (node is not YamlMappingNode map)
            {
                Error(node, "'expect' must be a mapping", "expect: { status: healthy } or expect: { layer: database, side: infrastructure }");
                return null;
            }

            var keys = Keys(map, ExpectKeys, "in expect");
            var expect = new ScenarioExpectation();
            if (keys.TryGetValue("status", out var status) && OneOf(status, "expect.status", ["healthy", "degraded", "unhealthy"]) is { } s)
            {
                expect = expect with { Status = Enum.Parse<OverallStatus>(s, ignoreCase: true) };
            }

            if (keys.TryGetValue("target", out var target) && Scalar(target, "expect.target") is { Value: { Length: > 0 } t })
            {
                expect = expect with { Target = t };
            }

            if (keys.TryGetValue("layer", out var layer) && OneOf(layer, "expect.layer", [.. Enum.GetValues<Layer>().Select(l => l.Wire())]) is { } l)
            {
                expect = expect with { Layer = Enum.Parse<Layer>(l, ignoreCase: true) };
            }

            if (keys.TryGetValue("side", out var side) && OneOf(side, "expect.side", ["infrastructure", "application"]) is { } sd)
            {
                expect = expect with { Side = Enum.Parse<Side>(sd, ignoreCase: true) };
            }

            if (keys.TryGetValue("findings", out var findings) && ReadFindings(findings) is { } list)
            {
                expect = expect with { Findings = list };
            }

            if (map.Children.Count == 0)
            {
                Error(map, "'expect' is empty", "expect: { status: healthy } or expect: { target: api/postgres, layer: database, side: infrastructure }");
                return null;
            }

            if (expect.Status is OverallStatus.Healthy && expect.ExpectsPrimary)
            {
                Error(map, "expect says status healthy and also names a primary failure", "a healthy report has no primary failure: keep only status: healthy, or remove it");
                return null;
            }

            if (faultCount == 0 && expect.ExpectsPrimary)
            {
                Error(map, "the scenario has no faults but expects a primary failure", "add faults, or expect: { status: healthy }");
                return null;
            }

            return expect;
        }

        /// <summary><c>findings: [{ target: golden-path, dependency: api/redis }]</c>: the report's findings, exactly (none when absent).</summary>
        private List<ExpectedFinding>? ReadFindings(YamlNode node)
        {
            const string Example = "findings: [{ target: golden-path, dependency: api/redis }]";
            if (node is not YamlSequenceNode sequence)
            {
                Error(node, "'expect.findings' must be a list", Example);
                return null;
            }

            var list = new List<ExpectedFinding>();
            foreach (var item in sequence.Children)
            {
                if (item is not YamlMappingNode entry)
                {
                    Error(item, "each entry of expect.findings must be a mapping", Example);
                    continue;
                }

                var keys = Keys(entry, FindingKeys, "in expect.findings");
                var target = keys.TryGetValue("target", out var t) ? Scalar(t, "expect.findings.target")?.Value : null;
                var dependency = keys.TryGetValue("dependency", out var d) ? Scalar(d, "expect.findings.dependency")?.Value : null;
                if (string.IsNullOrEmpty(target) || string.IsNullOrEmpty(dependency))
                {
                    Error(entry, "an expected finding names both the target that waits and the dependency it waits on", Example);
                    continue;
                }

                list.Add(new ExpectedFinding(target, dependency));
            }

            return list;
        }

        private Dictionary<string, YamlNode> Keys(YamlMappingNode map, string[] allowed, string where)
        {
            var keys = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value;
                if (key is null)
                {
                    Error(keyNode, $"keys {where} must be plain names");
                    continue;
                }

                if (!allowed.Contains(key))
                {
                    var near = Nearest(key, allowed);
                    Error(keyNode, $"unknown key '{key}' {where}", near is not null ? $"did you mean '{near}'?" : "allowed: " + string.Join(", ", allowed));
                    continue;
                }

                keys[key] = value;
            }

            return keys;
        }

        private YamlScalarNode? RequiredScalar(YamlMappingNode map, Dictionary<string, YamlNode> keys, string key, string where, string example)
        {
            if (!keys.TryGetValue(key, out var node))
            {
                Error(map, $"'{key}' is required {where}", example);
                return null;
            }

            var scalar = Scalar(node, key);
            if (scalar is not null && string.IsNullOrWhiteSpace(scalar.Value))
            {
                Error(node, $"'{key}' is empty", example);
                return null;
            }

            return scalar;
        }

        private YamlScalarNode? Scalar(YamlNode node, string key)
        {
            if (node is YamlScalarNode scalar)
            {
                return scalar;
            }

            Error(node, $"'{key}' must be a single value, not a {(node is YamlSequenceNode ? "list" : "mapping")}");
            return null;
        }

        public string? OneOf(YamlNode node, string key, IReadOnlyList<string> allowed)
        {
            if (Scalar(node, key) is not { } scalar)
            {
                return null;
            }

            var value = scalar.Value ?? string.Empty;
            if (allowed.Contains(value))
            {
                return value;
            }

            var near = Nearest(value, allowed);
            Error(scalar, $"{key}: '{value}' is not one of {string.Join(", ", allowed)}", near is not null ? $"did you mean '{near}'?" : null);
            return null;
        }

        public (string Key, string Value, YamlNode Node)? Sub(YamlNode node, string action, string[] allowed)
        {
            var example = $"{{ {action}: {{ {allowed[0]}: NAME }} }}";
            if (node is not YamlMappingNode map || map.Children.Count != 1)
            {
                Error(node, $"'{action}' takes one of {string.Join(", ", allowed)} as a mapping", "e.g. " + example);
                return null;
            }

            var (keyNode, value) = map.Children.First();
            var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            if (!allowed.Contains(key))
            {
                var near = Nearest(key, allowed);
                Error(keyNode, $"unknown key '{key}' in {action}", near is not null ? $"did you mean '{near}'?" : "allowed: " + string.Join(", ", allowed));
                return null;
            }

            if (Scalar(value, $"{action}.{key}") is not { } scalar)
            {
                return null;
            }

            if (string.IsNullOrWhiteSpace(scalar.Value))
            {
                Error(scalar, $"{action}.{key} is empty", "e.g. " + example);
                return null;
            }

            return (key, scalar.Value, scalar);
        }

        private TimeSpan? Duration(YamlNode node, string key)
        {
            if (Scalar(node, key) is not { } scalar)
            {
                return null;
            }

            if (Durations.TryParse(scalar.Value, out var value))
            {
                return value;
            }

            Error(scalar, $"{key}: '{scalar.Value}' is not a duration", Durations.Help);
            return null;
        }

        private static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" };

        private static bool IsName(string name) =>
            name.Length is > 0 and <= 64 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && char.IsAsciiLetterOrDigit(name[0]);
    }

    /// <summary>The candidate within a small edit distance of <paramref name="input"/>, for "did you mean" hints.</summary>
    private static string? Nearest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best is not null && bestDistance <= Math.Max(2, Math.Min(input.Length, best.Length) / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
