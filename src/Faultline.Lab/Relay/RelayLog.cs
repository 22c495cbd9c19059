using System.Net;
using Microsoft.Extensions.Logging;

namespace Faultline.Lab.Relay;

/// <summary>The relay's log events (ids 4500-4549).</summary>
internal static partial class RelayLog
{
    [LoggerMessage(EventId = 4500, Level = LogLevel.Information, Message = "relay link {Link} listening on {Listen}, upstream {Upstream}")]
    public static partial void Listening(ILogger logger, string link, EndPoint listen, string upstream);

    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "relay link {Link}: fault set to {Fault}")]
    public static partial void FaultSet(ILogger logger, string link, string fault);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Information, Message = "relay link {Link}: fault cleared")]
    public static partial void FaultCleared(ILogger logger, string link);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Information, Message = "relay link {Link}: stopped listening (refuse)")]
    public static partial void StoppedListening(ILogger logger, string link);

    [LoggerMessage(EventId = 4504, Level = LogLevel.Warning, Message = "relay link {Link}: upstream {Upstream} failed ({Error}); client reset")]
    public static partial void UpstreamFailed(ILogger logger, string link, string upstream, string error);

    [LoggerMessage(EventId = 4505, Level = LogLevel.Debug, Message = "relay link {Link}: connection {Id} {Action}")]
    public static partial void ConnectionAction(ILogger logger, string link, long id, string action);

    [LoggerMessage(EventId = 4506, Level = LogLevel.Error, Message = "relay link {Link}: accept loop failed")]
    public static partial void AcceptFailed(ILogger logger, string link, Exception exception);

    [LoggerMessage(EventId = 4507, Level = LogLevel.Error, Message = "relay link {Link}: connection {Id} failed")]
    public static partial void ConnectionFailed(ILogger logger, string link, long id, Exception exception);

    [LoggerMessage(EventId = 4510, Level = LogLevel.Information, Message = "relay control API on {Url}")]
    public static partial void ControlListening(ILogger logger, Uri url);

    [LoggerMessage(EventId = 4511, Level = LogLevel.Warning, Message = "relay control: {Method} {Path} rejected: {Error}")]
    public static partial void ControlRejected(ILogger logger, string method, string path, string error);
}
