namespace Faultline.Core.Config;

/// <summary>One problem in a config file: where, what, and what to write instead.</summary>
public sealed record ConfigError(SourceLocation? Location, string Message, string? Hint)
{
    /// <summary><c>file:line:col: message. hint</c></summary>
    public override string ToString()
    {
        var text = Location is null ? Message : $"{Location}: {Message}";
        return string.IsNullOrEmpty(Hint) ? text : $"{text}. {Hint}";
    }
}

/// <summary>A config file that cannot be used. <see cref="Exception.Message"/> lists every error, one per line.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, (errors ?? throw new ArgumentNullException(nameof(errors))).Select(e => e.ToString())))
    {
        Errors = errors;
    }

    public ConfigException()
        : this([new ConfigError(null, "invalid configuration", null)])
    {
    }

    public ConfigException(string message)
        : this([new ConfigError(null, message, null)])
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new ConfigError(null, message, null)];
    }

    public IReadOnlyList<ConfigError> Errors { get; }
}
