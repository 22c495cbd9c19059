using Faultline.Core.Model;

namespace Faultline.Probes.Probes;

internal static class ProbeErrors
{
    public static ProbeError Config(string message, Exception? exception = null) =>
        new(ErrorKind.ConfigInvalid, message) { Phase = "config", Exception = exception };
}
