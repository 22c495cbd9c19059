using System.Globalization;
using Faultline.Lab.Stack;
using YamlDotNet.RepresentationModel;

namespace Faultline.Lab.Scenarios;

/// <summary>The lab actions a scenario can take (each undone by the stack's restore).</summary>
public enum LabActionKind
{
    /// <summary><c>{ stop: postgres|redis|app|nginx|dns }</c></summary>
    Stop,

    /// <summary><c>{ cert: expired|wrong-name|untrusted }</c>: the load balancer's certificate.</summary>
    Cert,

    /// <summary><c>{ dns: { remove: NAME } }</c></summary>
    DnsRemove,

    /// <summary><c>{ secret: { remove: NAME } }</c></summary>
    SecretRemove,

    /// <summary><c>{ secret: { rotate: NAME } }</c>: the server accepts a new value the service does not have.</summary>
    SecretRotate,

    /// <summary><c>{ postgres: exhaust }</c>: every connection slot taken.</summary>
    PostgresExhaust,

    /// <summary><c>{ postgres: { maxConnections: N } }</c></summary>
    PostgresMaxConnections,

    /// <summary><c>{ app: restart }</c></summary>
    AppRestart,

    /// <summary><c>{ app: { bug: NAME } }</c>: one of the app's drills switched on (<c>login-500</c>, <c>agent-completed-missing</c>), no restart.</summary>
    AppBug,
}

/// <summary>What reading a lab action's value needs from the scenario reader; every problem is an error at file:line:column.</summary>
internal interface ILabActionReader
{
    /// <summary>The value, a single scalar that must be one of <paramref name="allowed"/>; null (error recorded) otherwise.</summary>
    string? OneOf(YamlNode node, string key, IReadOnlyList<string> allowed);

    /// <summary>The value, a one-key mapping <c>{ KEY: VALUE }</c> with KEY one of <paramref name="allowed"/>; null (error recorded) otherwise.</summary>
    (string Key, string Value, YamlNode Node)? Sub(YamlNode node, string action, string[] allowed);

    /// <summary>True when the entry's value is one of <paramref name="known"/>; else an error naming the nearest.</summary>
    bool Known((string Key, string Value, YamlNode Node) entry, string key, IReadOnlyList<string> known);

    void Error(YamlNode node, string message, string? hint = null);
}

/// <summary>One key of a scenario's <c>faults:</c> list that takes a lab action, and how its value reads.</summary>
internal sealed record LabActionSyntax(string Key, Func<ILabActionReader, YamlNode, LabAction?> Read);

/// <summary>
/// Every lab action a scenario can take, in one place: the key it is written with and how its value reads
/// (<see cref="Syntax"/>), how a report names it (<see cref="Describe"/>) and what it does to the stack
/// (<see cref="ApplyAsync"/>; the mechanics, and their undoing by the stack's restore, live in <see cref="LabStack"/>).
/// </summary>
internal static class LabActions
{
    /// <summary>The secrets <c>secret: { rotate: NAME }</c> can rotate on the server side.</summary>
    public static IReadOnlyList<string> RotatableSecrets { get; } = ["ConnectionStrings__Postgres", "ConnectionStrings__Redis"];

    /// <summary>The broken certificate states <c>cert:</c> can deploy on the load balancer.</summary>
    public static IReadOnlyList<string> CertStates { get; } = ["expired", "wrong-name", "untrusted"];

    public static IReadOnlyList<LabActionSyntax> Syntax { get; } =
    [
        new("stop", (r, value) => r.OneOf(value, "stop", LabStack.StoppableServices) is { } service ? new LabAction(LabActionKind.Stop, service) : null),
        new("cert", (r, value) => r.OneOf(value, "cert", CertStates) is { } state ? new LabAction(LabActionKind.Cert, state) : null),
        new("dns", (r, value) => r.Sub(value, "dns", ["remove"]) is { } dns && r.Known(dns, "dns.remove", LabStack.HostNames)
            ? new LabAction(LabActionKind.DnsRemove, dns.Value)
            : null),
        new("secret", (r, value) => r.Sub(value, "secret", ["remove", "rotate"]) is { } secret
            && r.Known(secret, "secret." + secret.Key, secret.Key == "remove" ? LabStack.SecretNames : RotatableSecrets)
            ? new LabAction(secret.Key == "remove" ? LabActionKind.SecretRemove : LabActionKind.SecretRotate, secret.Value)
            : null),
        new("postgres", ReadPostgres),
        new("app", ReadApp),
    ];

    /// <summary>The keys that take a lab action.</summary>
    public static IReadOnlyList<string> Keys { get; } = [.. Syntax.Select(s => s.Key)];

    /// <summary>The action in the compact form a report prints, e.g. <c>stop redis</c>.</summary>
    public static string Describe(LabAction action) => action.Kind switch
    {
        LabActionKind.Stop => $"stop {action.Argument}",
        LabActionKind.Cert => $"cert {action.Argument}",
        LabActionKind.DnsRemove => $"dns remove {action.Argument}",
        LabActionKind.SecretRemove => $"secret remove {action.Argument}",
        LabActionKind.SecretRotate => $"secret rotate {action.Argument}",
        LabActionKind.PostgresExhaust => "postgres exhaust",
        LabActionKind.PostgresMaxConnections => $"postgres maxConnections={action.Number}",
        LabActionKind.AppRestart => "app restart",
        LabActionKind.AppBug => $"app bug {action.Argument}",
        _ => action.Kind.ToString(),
    };

    /// <summary>Takes the action on the running stack.</summary>
    public static Task ApplyAsync(LabStack stack, LabAction action, CancellationToken cancellationToken) => action.Kind switch
    {
        LabActionKind.Stop => stack.StopAsync(action.Argument!, cancellationToken),
        LabActionKind.Cert => stack.CertAsync(action.Argument!, cancellationToken),
        LabActionKind.DnsRemove => stack.DnsRemoveAsync(action.Argument!, cancellationToken),
        LabActionKind.SecretRemove => stack.SecretRemoveAsync(action.Argument!, cancellationToken),
        LabActionKind.SecretRotate => stack.SecretRotateAsync(action.Argument!, cancellationToken),
        LabActionKind.PostgresExhaust => stack.PostgresExhaustAsync(cancellationToken),
        LabActionKind.PostgresMaxConnections => stack.PostgresMaxConnectionsAsync(action.Number!.Value, cancellationToken),
        LabActionKind.AppRestart => stack.AppRestartAsync(cancellationToken),
        LabActionKind.AppBug => stack.AppBugAsync(action.Argument!, cancellationToken),
        _ => throw new NotSupportedException($"unknown lab action {action.Kind}"),
    };

    private static LabAction? ReadApp(ILabActionReader r, YamlNode value)
    {
        if (value is YamlScalarNode)
        {
            return r.OneOf(value, "app", ["restart"]) is not null ? new LabAction(LabActionKind.AppRestart) : null;
        }

        return r.Sub(value, "app", ["bug"]) is { } bug && r.Known(bug, "app.bug", LabStack.AppBugs) ? new LabAction(LabActionKind.AppBug, bug.Value) : null;
    }

    private static LabAction? ReadPostgres(ILabActionReader r, YamlNode value)
    {
        if (value is YamlScalarNode)
        {
            return r.OneOf(value, "postgres", ["exhaust"]) is not null ? new LabAction(LabActionKind.PostgresExhaust) : null;
        }

        if (r.Sub(value, "postgres", ["maxConnections"]) is not { } sub)
        {
            return null;
        }

        if (!int.TryParse(sub.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max > 10_000)
        {
            r.Error(sub.Node, $"postgres.maxConnections must be a whole number from 0 (the role may not connect) to 10000, not '{sub.Value}'", "e.g. { postgres: { maxConnections: 5 } }");
            return null;
        }

        return new LabAction(LabActionKind.PostgresMaxConnections, Number: max);
    }
}
