namespace GoldenPath.Tests;

public sealed class CalculatorAgentTests
{
    [Theory]
    [InlineData("what is 6 times 7?", "42")]
    [InlineData("What is 6 TIMES 7", "42")]
    [InlineData("6*7", "42")]
    [InlineData("6 x 7", "42")]
    [InlineData("what is 6 multiplied by 7?", "42")]
    [InlineData("2.5 plus 1", "3.5")]
    [InlineData("3 minus 5", "-2")]
    [InlineData("6-7", "-1")]
    [InlineData("12 divided  by 8", "1.5")]
    [InlineData("1 / 4", "0.25")]
    [InlineData("-3 times -3", "9")]
    public void Answer_ArithmeticQuestion_ReturnsTheResult(string question, string answer)
    {
        Assert.Equal(answer, CalculatorAgent.Answer(question));
    }

    [Fact]
    public void Answer_DivisionByZero_ExplainsInsteadOfThrowing()
    {
        Assert.Equal("cannot divide by zero", CalculatorAgent.Answer("5 divided by 0"));
    }

    [Fact]
    public void Answer_Overflow_ExplainsInsteadOfThrowing()
    {
        Assert.Equal("the result is too large", CalculatorAgent.Answer("999999999999999 times 999999999999999"));
    }

    [Theory]
    [InlineData("tell me a story")]
    [InlineData("what is six times seven?")]
    [InlineData("7")]
    [InlineData("")]
    public void Answer_NoArithmetic_ReturnsTheFallback(string question)
    {
        Assert.Null(CalculatorAgent.Understand(question));
        Assert.Equal(CalculatorAgent.FallbackAnswer, CalculatorAgent.Answer(question));
    }

    [Fact]
    public void Understand_SixTimesSeven_NamesTheExpression()
    {
        var call = CalculatorAgent.Understand("what is 6 times 7?");

        Assert.NotNull(call);
        Assert.Equal("6 * 7", call.Expression);
    }
}
