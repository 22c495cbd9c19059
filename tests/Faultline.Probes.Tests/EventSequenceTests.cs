using System.Text.Json;
using Faultline.Probes.Probes;

namespace Faultline.Probes.Tests;

public sealed class EventSequenceTests
{
    private static readonly string[] GoldenPath = ["agent_started", "agent_thinking?", "tool_executing?", "tool_completed?", "agent_completed"];

    private static (EventSequence Sequence, List<string?> Violations) Feed(IReadOnlyList<string> expect, params string?[] arrivals)
    {
        var sequence = new EventSequence(expect);
        var violations = arrivals.Select(sequence.Observe).ToList();
        return (sequence, violations);
    }

    [Fact]
    public void Observe_FullGoldenPath_SatisfiedWithoutViolations()
    {
        var (sequence, violations) = Feed(GoldenPath, "agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed");

        Assert.True(sequence.Satisfied);
        Assert.All(violations, Assert.Null);
        Assert.Empty(sequence.Missing);
    }

    [Fact]
    public void Observe_OptionalEventsSkipped_Satisfied()
    {
        var (sequence, violations) = Feed(GoldenPath, "agent_started", "agent_completed");

        Assert.True(sequence.Satisfied);
        Assert.All(violations, Assert.Null);
    }

    [Fact]
    public void Observe_RepeatedToolCallsAndUnknownEvents_AreAllowed()
    {
        var (sequence, violations) = Feed(GoldenPath, "agent_started", "heartbeat", "tool_executing", "tool_completed", "tool_executing", "tool_completed", null, "agent_completed");

        Assert.True(sequence.Satisfied);
        Assert.All(violations, Assert.Null);
    }

    [Fact]
    public void Observe_RequiredEventSkipped_ReportsOutOfOrder()
    {
        var (sequence, violations) = Feed(GoldenPath, "agent_thinking");

        Assert.Equal("agent_thinking arrived before agent_started", violations[0]);
        Assert.False(sequence.Satisfied);
    }

    [Fact]
    public void Observe_SkippedOptionalArrivesLate_ReportsOutOfOrder()
    {
        var (_, violations) = Feed(GoldenPath, "agent_started", "tool_executing", "agent_thinking");

        Assert.Null(violations[1]);
        Assert.Equal("agent_thinking arrived after tool_executing", violations[2]);
    }

    [Fact]
    public void Missing_BeforeTheEnd_ListsRequiredEventsOnly()
    {
        var (sequence, _) = Feed(GoldenPath, "agent_started", "agent_thinking");

        Assert.False(sequence.Satisfied);
        Assert.Equal(["agent_completed"], sequence.Missing);
        Assert.True(sequence.IsExpected("tool_completed"));
        Assert.False(sequence.IsExpected("answer"));
    }

    [Theory]
    [InlineData("$.token", "a")]
    [InlineData("$.data.accessToken", "b")]
    [InlineData("$.tokens[1]", "d")]
    [InlineData("$['odd name']", "e")]
    [InlineData("$.missing", null)]
    [InlineData("$.tokens[5]", null)]
    public void JsonPath_Select_FollowsNamesAndIndexes(string path, string? expected)
    {
        using var document = JsonDocument.Parse("""{"token":"a","data":{"accessToken":"b"},"tokens":["c","d"],"odd name":"e"}""");

        var found = JsonPath.Select(document.RootElement, path);

        Assert.Equal(expected, found?.GetString());
    }
}
