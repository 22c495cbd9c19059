namespace Faultline.Probes.Probes;

/// <summary>
/// Matches arriving event names against an ordered expectation such as
/// <c>[agent_started, agent_thinking?, tool_executing?, tool_completed?, agent_completed]</c>.
/// <list type="bullet">
/// <item>An expected event may arrive only after every required event before it; a required event
///   skipped over is an out-of-order arrival. Optional events may be skipped.</item>
/// <item>An event that already arrived may repeat (a tool called twice); names not in the list are ignored.</item>
/// <item>An optional event that was skipped and arrives later is out of order.</item>
/// <item>The sequence is satisfied once every required event arrived; trailing optional events are not waited for.</item>
/// </list>
/// </summary>
internal sealed class EventSequence
{
    private readonly (string Name, bool Optional)[] _items;
    private readonly bool[] _arrived;
    private int _next;

    public EventSequence(IReadOnlyList<string> expect)
    {
        ArgumentNullException.ThrowIfNull(expect);
        _items = expect.Select(e => e.EndsWith('?') ? (e[..^1], true) : (e, false)).ToArray();
        _arrived = new bool[_items.Length];
    }

    public bool Satisfied => Enumerable.Range(0, _items.Length).All(i => _items[i].Optional || _arrived[i]);

    /// <summary>Required events that have not arrived, in order.</summary>
    public IReadOnlyList<string> Missing => Enumerable.Range(0, _items.Length).Where(i => !_items[i].Optional && !_arrived[i]).Select(i => _items[i].Name).ToList();

    public bool IsExpected(string? name) => name is not null && _items.Any(i => string.Equals(i.Name, name, StringComparison.Ordinal));

    /// <summary>Records an arrival; returns a description of the order violation, or null when the order holds.</summary>
    public string? Observe(string? name)
    {
        if (name is null)
        {
            return null;
        }

        for (var j = _next; j < _items.Length; j++)
        {
            if (!string.Equals(_items[j].Name, name, StringComparison.Ordinal))
            {
                continue;
            }

            for (var k = _next; k < j; k++)
            {
                if (!_items[k].Optional && !_arrived[k])
                {
                    return $"{name} arrived before {_items[k].Name}";
                }
            }

            _arrived[j] = true;
            _next = j + 1;
            return null;
        }

        for (var k = _next - 1; k >= 0; k--)
        {
            if (string.Equals(_items[k].Name, name, StringComparison.Ordinal))
            {
                return _arrived[k] ? null : $"{name} arrived after {_items[_next - 1].Name}";
            }
        }

        return null;
    }
}
