using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>The root a failing or warning result follows from: <c>results[].cause</c>.</summary>
public sealed record CauseRef(string Target, Layer Layer, Side Side);

/// <summary>One independent root of a report: <c>summary.roots[]</c>, with the results that follow from it.</summary>
public sealed record RootCause(string Target, Layer Layer, Side Side, IReadOnlyList<string> Consequences)
{
    /// <summary>The root's own status (fail or warn).</summary>
    public ResultStatus Status { get; init; } = ResultStatus.Fail;

    /// <summary>True when the root itself is critical.</summary>
    public bool Critical { get; init; } = true;
}

/// <summary>
/// A secondary finding next to the roots: <c>summary.findings[]</c>. Today one kind,
/// <see cref="Kinds.OptionalDependencyBlocks"/>: a critical path failed because it waits on a dependency
/// the service declares optional — the trigger is the dependency (a root), the missing degradation is
/// the application's.
/// </summary>
public sealed record Finding(string Kind, string Target, string Dependency, Layer Layer, Side Side, string Message)
{
    public static class Kinds
    {
        /// <summary>A critical result failed as a consequence of a non-critical (optional) failure.</summary>
        public const string OptionalDependencyBlocks = "optional-dependency-blocks";
    }
}

/// <summary>What <see cref="Causality.Analyze"/> found: each result's root, the roots, the findings.</summary>
public sealed record CausalAnalysis
{
    /// <summary>For every failing or warning result that is a consequence: the name of its root.</summary>
    public required IReadOnlyDictionary<string, string> RootOf { get; init; }

    /// <summary>The independent roots, in tie-break order (layer order, then file order).</summary>
    public required IReadOnlyList<RootCause> Roots { get; init; }

    public required IReadOnlyList<Finding> Findings { get; init; }

    /// <summary>The primary root: the first root that is critical or that a critical failure follows from; null when none.</summary>
    public RootCause? Primary { get; init; }
}

/// <summary>
/// The causal model shared by check, validate, monitor and lab: every failing (or warning) result is
/// either a root or a consequence of one. Pure: a function of the results alone.
/// </summary>
/// <remarks>
/// Links (docs/attribution.md, "Causal links"):
/// <list type="number">
/// <item><b>Explicit</b>: <c>dependsOn</c>, transitively, through passing targets too. A <c>remote</c>
/// target depends on every component of its inside view (<c>api/postgres</c>, ...).</item>
/// <item><b>Inside view</b>: a target served by a service depends on that service's <c>remote</c> target,
/// and so on the components its health report names. Declared with <c>service:</c>, or inferred when the
/// target's URL has the same origin (scheme family, host, port) as the remote target's URL.</item>
/// <item><b>Optional roots</b>: a link to a failing <em>critical</em> result always holds; a link to a
/// failing <em>non-critical</em> one holds only when the dependent's failure is of a kind that being
/// blocked by it explains (<see cref="CanBeBlocked"/>): a deadline, a stall, a 504, or a 5xx whose body
/// names the dependency. Never an explicit application error (a 500 from the app, a 4xx, events out of
/// order). A warning is never a cause.</item>
/// </list>
/// A result with no cause is a root. A cycle of results causing each other leaves one root: the first in
/// tie-break order. Among several roots a consequence could follow from, it follows the critical one
/// first, then the first in tie-break order.
/// </remarks>
public static class Causality
{
    public static CausalAnalysis Analyze(IReadOnlyList<TargetResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < results.Count; i++)
        {
            index.TryAdd(results[i].Name, i);
        }

        var edges = Edges(results, index);
        var causes = new List<int>?[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Status != ResultStatus.Pass && !IsNotStarted(results[i]))
            {
                causes[i] = CausesOf(i, results, edges);
            }
        }

        // Order of preference: layer order, then file order.
        int Rank(int i) => LayerRank(results[i].Layer ?? Layer.Unknown) * (results.Count + 1) + i;

        // A result is a root candidate when it has no cause, or when each of its causes is caused by it in
        // turn (a cycle); within a cycle, the best-ranked member is the root.
        var isRoot = new bool[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            if (causes[i] is not { } own)
            {
                continue;
            }

            isRoot[i] = own.All(p => causes[p]!.Contains(i) && Rank(p) > Rank(i));
        }

        var rootOf = new int[results.Count];
        Array.Fill(rootOf, -1);
        for (var i = 0; i < results.Count; i++)
        {
            if (causes[i] is not null)
            {
                rootOf[i] = ResolveRoot(i, causes, isRoot, results, Rank, []);
            }
        }

        var roots = Enumerable.Range(0, results.Count)
            .Where(i => causes[i] is not null && rootOf[i] == i)
            .OrderBy(Rank)
            .ToList();

        var consequencesOf = roots.ToDictionary(r => r, _ => new List<string>());
        var rootNames = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < results.Count; i++)
        {
            if (causes[i] is not null && rootOf[i] != i)
            {
                consequencesOf[rootOf[i]].Add(results[i].Name);
                rootNames[results[i].Name] = results[rootOf[i]].Name;
            }
        }

        var rootCauses = roots.Select(r => new RootCause(
                results[r].Name, results[r].Layer ?? Layer.Unknown, results[r].Side ?? Side.Infrastructure, consequencesOf[r])
        {
            Status = results[r].Status,
            Critical = results[r].Critical,
        })
            .ToList();

        var findings = new List<Finding>();
        for (var i = 0; i < results.Count; i++)
        {
            var root = rootOf[i];
            if (root < 0 || root == i || results[i].Status != ResultStatus.Fail || !results[i].Critical || results[root].Critical
                || !causes[i]!.Contains(root))
            {
                continue;
            }

            findings.Add(OptionalDependencyFinding(results[i], results[root]));
        }

        RootCause? primary = null;
        for (var k = 0; k < roots.Count; k++)
        {
            var r = roots[k];
            if (results[r].Status == ResultStatus.Fail
                && (results[r].Critical || consequencesOf[r].Any(c => results[index[c]] is { Status: ResultStatus.Fail, Critical: true })))
            {
                primary = rootCauses[k];
                break;
            }
        }

        return new CausalAnalysis { RootOf = rootNames, Roots = rootCauses, Findings = findings, Primary = primary };
    }

    /// <summary>
    /// True when <paramref name="result"/>'s failure is of a kind that waiting on a failing dependency explains:
    /// the target's deadline, a stall (no answer, events that stopped coming), an HTTP 504, or another 5xx whose
    /// body names <paramref name="dependency"/>. False for explicit application errors.
    /// </summary>
    public static bool CanBeBlocked(TargetResult result, string dependency)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(dependency);
        if (result.Error is { } error)
        {
            if (error.Kind == ErrorKind.Timeout.Wire() || error.Kind == ErrorKind.ReadTimeout.Wire())
            {
                return true;
            }

            if (error.Kind != ErrorKind.UnexpectedStatus.Wire())
            {
                return false;
            }
        }

        if (result.Observation?.Http is not { } http || http.StatusCode < 500)
        {
            return false;
        }

        return http.StatusCode == 504
            || (dependency.Length > 0 && http.Body.Contains(dependency, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The component name of a result for sentences: <c>redis</c> for the inside result <c>api/redis</c>.</summary>
    public static string DependencyName(TargetResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var slash = result.Name.LastIndexOf('/');
        return result.Vantage == Vantage.Inside && slash >= 0 && slash < result.Name.Length - 1 ? result.Name[(slash + 1)..] : result.Name;
    }

    private static Finding OptionalDependencyFinding(TargetResult blocked, TargetResult dependency)
    {
        var name = DependencyName(dependency);
        var what = dependency.Layer switch
        {
            Layer.Cache => "its cache",
            Layer.Database => "its database",
            Layer.Configuration => "its configuration source",
            _ => name,
        };
        var how = dependency.Error?.Kind is { } kind ? $" ({kind})" : string.Empty;
        var message = $"{blocked.Name} waits on optional dependency {name}: the service does not degrade when {what} fails{how}";
        return new Finding(Finding.Kinds.OptionalDependencyBlocks, blocked.Name, dependency.Name, Layer.Application, Side.Application, message);
    }

    private static int ResolveRoot(int i, List<int>?[] causes, bool[] isRoot, IReadOnlyList<TargetResult> results, Func<int, int> rank, HashSet<int> visiting)
    {
        if (isRoot[i])
        {
            return i;
        }

        if (!visiting.Add(i))
        {
            return -1;
        }

        var best = -1;
        foreach (var p in causes[i]!)
        {
            var root = ResolveRoot(p, causes, isRoot, results, rank, visiting);
            if (root >= 0 && (best < 0 || Better(root, best, results, rank)))
            {
                best = root;
            }
        }

        visiting.Remove(i);
        return best < 0 ? i : best;
    }

    /// <summary>Critical roots first, then layer order, then file order.</summary>
    private static bool Better(int a, int b, IReadOnlyList<TargetResult> results, Func<int, int> rank)
    {
        if (results[a].Critical != results[b].Critical)
        {
            return results[a].Critical;
        }

        return rank(a) < rank(b);
    }

    /// <summary>The failing results <paramref name="start"/> is linked to (through any results, passing or not), honouring the optional-root rule.</summary>
    /// <summary>A target the run never probed (its deadline passed while it waited for a slot): it says nothing about the stack, so it is neither a root nor a cause.</summary>
    public static bool IsNotStarted(TargetResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Error is { Kind: var kind } && string.Equals(kind, ErrorKind.NotStarted.Wire(), StringComparison.Ordinal);
    }

    private static List<int> CausesOf(int start, IReadOnlyList<TargetResult> results, List<int>[] edges)
    {
        var found = new List<int>();
        var seen = new HashSet<int> { start };
        var pending = new Stack<int>(edges[start]);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (!seen.Add(next))
            {
                continue;
            }

            var candidate = results[next];
            if (candidate.Status == ResultStatus.Fail && !IsNotStarted(candidate)
                && (candidate.Critical || CanBeBlocked(results[start], DependencyName(candidate))))
            {
                found.Add(next);
            }

            foreach (var e in edges[next])
            {
                pending.Push(e);
            }
        }

        return found;
    }

    private static List<int>[] Edges(IReadOnlyList<TargetResult> results, Dictionary<string, int> index)
    {
        var edges = new List<int>[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            edges[i] = [];
            foreach (var name in results[i].DependsOn)
            {
                if (index.TryGetValue(name, out var j) && j != i)
                {
                    edges[i].Add(j);
                }
            }
        }

        // Inside-view links: declared (service:) or inferred from the URL's origin.
        var remotes = Remotes(results);
        for (var i = 0; i < results.Count; i++)
        {
            if (ServiceIndex(i, results, index, remotes) is { } target && target != i && !edges[i].Contains(target) && !Reaches(target, i, edges))
            {
                edges[i].Add(target);
            }
        }

        return edges;
    }

    /// <summary>
    /// The name of the <c>remote</c> target of the service that serves <paramref name="result"/>: its <c>service:</c>,
    /// else the first remote target among <paramref name="results"/> whose URL has the same origin; null when none
    /// (and always for remote targets and inside results themselves, unless declared).
    /// </summary>
    public static string? ServiceOf(TargetResult result, IReadOnlyList<TargetResult> results)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(results);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < results.Count; i++)
        {
            index.TryAdd(results[i].Name, i);
        }

        IReadOnlyList<TargetResult> all = results;
        if (!index.TryGetValue(result.Name, out var at))
        {
            // A result not (yet) among the others is judged as if it were the last of them.
            all = [.. results, result];
            at = all.Count - 1;
        }

        return ServiceIndex(at, all, index, Remotes(all)) is { } s ? all[s].Name : null;
    }

    private static List<(int Index, string Origin)> Remotes(IReadOnlyList<TargetResult> results) =>
        Enumerable.Range(0, results.Count)
            .Where(i => results[i].Kind == TargetKinds.Remote && results[i].Vantage == Vantage.Outside)
            .Select(i => (Index: i, Origin: Origin(results[i].Target)))
            .Where(r => r.Origin is not null)
            .Select(r => (r.Index, r.Origin!))
            .ToList();

    private static int? ServiceIndex(int i, IReadOnlyList<TargetResult> results, Dictionary<string, int> index, List<(int Index, string Origin)> remotes)
    {
        var r = results[i];
        if (r.Vantage == Vantage.Inside)
        {
            return null;
        }

        if (r.Service is { } declared)
        {
            return index.TryGetValue(declared, out var s) && s != i ? s : null;
        }

        if (r.Kind == TargetKinds.Remote || Origin(r.Target) is not { } origin)
        {
            return null;
        }

        foreach (var (candidate, remoteOrigin) in remotes)
        {
            if (candidate != i && string.Equals(remoteOrigin, origin, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool Reaches(int from, int to, List<int>[] edges)
    {
        var seen = new HashSet<int>();
        var pending = new Stack<int>([from]);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (next == to)
            {
                return true;
            }

            if (seen.Add(next))
            {
                foreach (var e in edges[next])
                {
                    pending.Push(e);
                }
            }
        }

        return false;
    }

    /// <summary><c>https://api.example:443</c> for https and wss URLs (http and ws alike); null for anything that is not an absolute web URL.</summary>
    public static string? Origin(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var scheme = uri.Scheme switch
        {
            "https" or "wss" => "https",
            "http" or "ws" => "http",
            _ => null,
        };
        if (scheme is null)
        {
            return null;
        }

        var port = uri.IsDefaultPort ? (scheme == "https" ? 443 : 80) : uri.Port;
        return $"{scheme}://{uri.IdnHost.ToLowerInvariant()}:{port}";
    }

    private static int LayerRank(Layer layer)
    {
        var order = LayerNames.RootCauseOrder;
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == layer)
            {
                return i;
            }
        }

        return order.Count;
    }
}
