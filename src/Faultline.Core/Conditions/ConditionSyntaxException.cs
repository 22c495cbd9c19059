namespace Faultline.Core.Conditions;

/// <summary>A condition that cannot be parsed, with the 1-based column of the offending character and a hint.</summary>
public sealed class ConditionSyntaxException : Exception
{
    public ConditionSyntaxException(string message, int column, string hint)
        : base(message)
    {
        Column = column;
        Hint = hint;
    }

    public ConditionSyntaxException()
        : this("invalid condition", 1, string.Empty)
    {
    }

    public ConditionSyntaxException(string message)
        : this(message, 1, string.Empty)
    {
    }

    public ConditionSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        Column = 1;
        Hint = string.Empty;
    }

    /// <summary>1-based column within the condition text.</summary>
    public int Column { get; }

    /// <summary>What to write instead; may be empty.</summary>
    public string Hint { get; }
}
