using Faultline.Core.Conditions;

namespace Faultline.Core.Tests.Conditions;

public class ConditionParserTests
{
    [Theory]
    [InlineData("[STATUS] == 200", "STATUS")]
    [InlineData("[STATUS]==200", "STATUS")]
    [InlineData("  [STATUS]   !=   500  ", "STATUS")]
    [InlineData("[STATUS] < 400", "STATUS")]
    [InlineData("[STATUS] <= 399", "STATUS")]
    [InlineData("[STATUS] > 199", "STATUS")]
    [InlineData("[STATUS] >= 200", "STATUS")]
    [InlineData("[STATUS] matches ^2", "STATUS")]
    [InlineData("[RESPONSE_TIME] < 2s", "RESPONSE_TIME")]
    [InlineData("[RESPONSE_TIME] <= 250ms", "RESPONSE_TIME")]
    [InlineData("[CERT_EXPIRES_IN] > 14d", "CERT_EXPIRES_IN")]
    [InlineData("[CONNECTED] == true", "CONNECTED")]
    [InlineData("[CONNECTED] != false", "CONNECTED")]
    [InlineData("[BODY] contains ok", "BODY")]
    [InlineData("[BODY] == \"all good\"", "BODY")]
    [InlineData("[BODY].status == ok", "BODY")]
    [InlineData("[BODY].items[0].name == 'x y'", "BODY")]
    [InlineData("[BODY][1] == 2", "BODY")]
    [InlineData("[BODY].count >= 10", "BODY")]
    [InlineData("[HEADER:Content-Type] contains application/json", "HEADER")]
    [InlineData("[DNS_RCODE] == NOERROR", "DNS_RCODE")]
    [InlineData("[IP] == 127.0.0.1", "IP")]
    [InlineData("[IP] matches \"^127\\.\"", "IP")]
    public void Parse_ValidCondition_ReturnsCondition(string text, string placeholder)
    {
        var condition = ConditionParser.Parse(text);

        Assert.Equal(text, condition.Text);
        Assert.Equal(placeholder, condition.Placeholder);
    }

    [Theory]
    [InlineData("", 1, "empty condition")]
    [InlineData("   ", 4, "empty condition")]
    [InlineData("STATUS == 200", 1, "expected a placeholder")]
    [InlineData("[STATS] == 200", 1, "unknown placeholder [STATS]")]
    [InlineData("[STATUS == 200", 1, "unclosed placeholder")]
    [InlineData("[STATUS] = 200", 10, "expected an operator after [STATUS] at column 10")]
    [InlineData("[STATUS]", 9, "expected an operator after [STATUS] at column 9")]
    [InlineData("[STATUS] ~= 200", 10, "expected an operator")]
    [InlineData("[STATUS] ==", 12, "expected a value after ==")]
    [InlineData("[STATUS] == 200 OK", 17, "unexpected text after the value")]
    [InlineData("[STATUS] < 2s", 12, "[STATUS] is a number and cannot be compared with a duration")]
    [InlineData("[STATUS] == ok", 13, "[STATUS] is a number")]
    [InlineData("[STATUS] == \"200\"", 13, "[STATUS] is a number and cannot be compared with a quoted string")]
    [InlineData("[STATUS] contains 2", 19, "'contains' works on text")]
    [InlineData("[RESPONSE_TIME] < 500", 19, "'500' has no unit")]
    [InlineData("[RESPONSE_TIME] < fast", 19, "'fast' is not a duration")]
    [InlineData("[RESPONSE_TIME] contains 5", 26, "[RESPONSE_TIME] is a duration")]
    [InlineData("[CONNECTED] == yes", 16, "true or false")]
    [InlineData("[CONNECTED] < true", 15, "'<' does not apply")]
    [InlineData("[BODY] > 3", 10, "[BODY] is text")]
    [InlineData("[BODY].count > many", 16, "needs a number")]
    [InlineData("[BODY]. == 1", 8, "expected a property name")]
    [InlineData("[BODY].items[x] == 1", 13, "expected an array index")]
    [InlineData("[STATUS].code == 1", 9, "[STATUS] takes no path")]
    [InlineData("[HEADER] == x", 1, "[HEADER] needs a name")]
    [InlineData("[STATUS:x] == 200", 8, "[STATUS] takes no argument")]
    [InlineData("[BODY] == \"open", 11, "unclosed string")]
    [InlineData("[BODY] matches (", 16, "invalid regular expression")]
    [InlineData("[BODY] matches \"a(b\"", 16, "invalid regular expression")]
    [InlineData("[BODY] containsok", 8, "expected an operator")]
    [InlineData("[STATUS]== 200 200", 16, "unexpected text")]
    public void Parse_InvalidCondition_ThrowsAtColumn(string text, int column, string message)
    {
        var ex = Assert.Throws<ConditionSyntaxException>(() => ConditionParser.Parse(text));

        Assert.Equal(column, ex.Column);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(ex.Hint));
    }

    [Fact]
    public void Parse_UnknownPlaceholder_SuggestsNearestAndListsKnown()
    {
        var ex = Assert.Throws<ConditionSyntaxException>(() => ConditionParser.Parse("[STATS] == 200"));

        Assert.Contains("did you mean [STATUS]?", ex.Hint, StringComparison.Ordinal);
        Assert.Contains("[RESPONSE_TIME]", ex.Hint, StringComparison.Ordinal);
        Assert.Contains("[HEADER:Name]", ex.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingOperator_HintListsOperators()
    {
        var ex = Assert.Throws<ConditionSyntaxException>(() => ConditionParser.Parse("[STATUS] 200"));

        Assert.Equal("expected an operator after [STATUS] at column 10", ex.Message);
        Assert.Contains("==, !=, <, <=, >, >=, contains, matches", ex.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RegexInQuotes_KeepsBackslashes()
    {
        var condition = ConditionParser.Parse("[BODY] matches \"\\d+ ok\"");

        Assert.Equal("\\d+ ok", condition.Literal.Text);
        Assert.NotNull(condition.Regex);
    }

    [Fact]
    public void Parse_EscapedQuote_IsPartOfString()
    {
        var condition = ConditionParser.Parse("[BODY] == 'it\\'s'");

        Assert.Equal("it's", condition.Literal.Text);
        Assert.True(condition.Literal.Quoted);
    }

    [Theory]
    [InlineData("[STATUS]==200", "[STATUS] == 200")]
    [InlineData("[BODY].a[0]   contains   'x \"y\"'", "[BODY].a[0] contains \"x \\\"y\\\"\"")]
    [InlineData("[HEADER:X-Id] != abc", "[HEADER:X-Id] != abc")]
    public void Canonical_WrittenForm_IsNormalised(string text, string canonical)
    {
        Assert.Equal(canonical, ConditionParser.Parse(text).Canonical);
    }
}
