using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Faultline.Core.Config;

/// <summary>
/// Passes a YAML parser's events on (to nothing first, see <see cref="Check"/>; then to the representation model) and
/// stops the document where it crosses a bound of
/// <see cref="ConfigLimits"/>: nesting deeper than <see cref="ConfigLimits.MaxDepth"/> (refused at the start of the
/// first collection too deep, before the model, which builds nested nodes recursively, goes deeper), or standing for
/// more than <see cref="ConfigLimits.MaxNodes"/> nodes with every alias counted as the nodes of its anchor (an alias
/// bomb is refused at the alias that crosses it, before anything expands it). The count needs no recursion: a
/// collection's expanded size is the running total at its end minus the total at its start. An alias inside the node
/// its anchor names (<c>&amp;a [*a]</c>) is refused too: the model would be a cycle.
/// </summary>
internal sealed class BoundedParser(IParser inner, CancellationToken cancellationToken) : IParser
{
    private readonly Stack<(AnchorName Anchor, long TotalAtStart)> _open = new();
    private readonly Dictionary<AnchorName, long> _anchored = [];
    private long _total;
    private long _events;

    public ParsingEvent? Current => inner.Current;

    /// <summary>
    /// Reads the events of <paramref name="text"/> without building anything (a fraction of what the representation
    /// model costs): throws <see cref="ConfigLimitException"/> where the text crosses a bound. A syntax error ends the
    /// check quietly; loading the model reports it.
    /// </summary>
    public static void Check(string text, CancellationToken cancellationToken)
    {
        var parser = new BoundedParser(new Parser(new StringReader(text)), cancellationToken);
        try
        {
            while (parser.MoveNext())
            {
            }
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
        {
            // Reported when the model is loaded, with the position the parser gives.
        }
    }

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        if ((++_events & 0xFFF) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        switch (inner.Current)
        {
            case MappingStart or SequenceStart:
                var start = (NodeEvent)inner.Current;
                if (_open.Count >= ConfigLimits.MaxDepth)
                {
                    throw new ConfigLimitException(
                        start.Start,
                        string.Create(CultureInfo.InvariantCulture, $"the config nests mappings and lists more than {ConfigLimits.MaxDepth} levels deep"),
                        "a config needs about 6 levels (a JSON send or body a few more): check that this is the config file");
                }

                Count(1, start.Start, alias: null);
                _open.Push((start.Anchor, _total - 1));
                break;
            case MappingEnd or SequenceEnd:
                var (anchor, totalAtStart) = _open.Pop();
                Anchor(anchor, _total - totalAtStart);
                break;
            case Scalar scalar:
                Count(1, scalar.Start, alias: null);
                Anchor(scalar.Anchor, 1);
                break;
            case AnchorAlias alias:
                // An alias inside its own anchor would make the model a cycle, walked until the stack overflows; one
                // before its anchor leaves a placeholder in the model whose comparison recurses the same way.
                var name = alias.Value.Value;
                if (_open.Any(frame => frame.Anchor == alias.Value))
                {
                    throw new ConfigLimitException(
                        alias.Start,
                        $"invalid YAML: the alias *{name} is inside the node its anchor &{name} names: it would contain itself",
                        "an alias repeats a complete node: define the anchor on a node before the one that uses it");
                }

                if (!_anchored.TryGetValue(alias.Value, out var nodes))
                {
                    throw new ConfigLimitException(
                        alias.Start,
                        $"invalid YAML: the alias *{name} names no anchor defined before it",
                        $"define the anchor (&{name}) on a node above the alias, or write the value itself");
                }

                Count(nodes, alias.Start, alias.Value);
                break;
        }

        return true;
    }

    private void Anchor(AnchorName anchor, long size)
    {
        if (!anchor.IsEmpty)
        {
            _anchored[anchor] = size;
        }
    }

    private void Count(long nodes, Mark at, AnchorName? alias)
    {
        _total += nodes;
        if (_total <= ConfigLimits.MaxNodes)
        {
            return;
        }

        var limit = ConfigLimits.MaxNodes.ToString("N0", CultureInfo.InvariantCulture);
        throw alias is { } name
            ? new ConfigLimitException(
                at,
                string.Create(CultureInfo.InvariantCulture, $"the alias *{name.Value} ({nodes:N0} nodes) makes the config stand for more than {limit} YAML nodes; every alias counts as the nodes of its anchor"),
                "use fewer or smaller aliases; aliases of aliases multiply (an alias bomb is refused here before anything expands it)")
            : new ConfigLimitException(
                at,
                $"the config has more than {limit} YAML nodes",
                "a config of 10,000 targets has about 250,000: check that this is the config file");
    }
}

/// <summary>A document crossed a bound of <see cref="ConfigLimits"/> at <see cref="Start"/>.</summary>
#pragma warning disable CA1032, CA1064 // Internal: thrown by BoundedParser and caught by ConfigLoader only.
internal sealed class ConfigLimitException(Mark start, string message, string hint) : Exception(message)
#pragma warning restore CA1032, CA1064
{
    public Mark Start { get; } = start;

    public string Hint { get; } = hint;
}
