namespace GoldenPath;

/// <summary>
/// Application bugs that can be switched on for fault drills (the Faultline lab), so a drill can show an
/// application-side failure next to the infrastructure ones. <c>Drills:Directory</c> (env
/// <c>Drills__Directory</c>) names a directory; a file in it named after a drill turns that drill on
/// while the file exists. Without the setting no drill can be on.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>login-500</c>: <c>POST /api/login</c> fails with an unhandled exception (HTTP 500).</item>
/// <item><c>agent-completed-missing</c>: a chat run streams its events but never sends <c>agent_completed</c> (nor the answer).</item>
/// <item><c>tool-completed-missing</c>: a chat run skips <c>tool_completed</c>, then still sends <c>agent_completed</c> and the answer.</item>
/// <item><c>cache-blocks-chat</c>: a chat run waits for the Redis write with no bound of its own, so a slow or unreachable
/// Redis holds the answer back (StackExchange.Redis's own timeout, 5 s by default) instead of degrading to an uncached answer.</item>
/// </list>
/// </remarks>
internal sealed class Drills(IConfiguration configuration)
{
    public const string DirectoryKey = "Drills:Directory";

    public const string Login500 = "login-500";

    public const string AgentCompletedMissing = "agent-completed-missing";

    public const string ToolCompletedMissing = "tool-completed-missing";

    public const string CacheBlocksChat = "cache-blocks-chat";

    private readonly string? _directory = configuration[DirectoryKey] is { Length: > 0 } directory ? directory : null;

    /// <summary>True while the drill's file exists in the drills directory.</summary>
    public bool IsOn(string drill) => _directory is not null && File.Exists(Path.Combine(_directory, drill));
}

/// <summary>The failure a <see cref="Drills.Login500"/> drill throws: an application bug on purpose.</summary>
internal sealed class DrillException : Exception
{
    public DrillException()
        : base("drill: an application bug on purpose")
    {
    }

    public DrillException(string message)
        : base(message)
    {
    }

    public DrillException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
