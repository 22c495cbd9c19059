using Faultline.AspNetCore.Probing;
using Faultline.Core.Model;
using Faultline.Probes.Redis;
using StackExchange.Redis;

namespace Faultline.AspNetCore.Redis;

/// <summary>Types a StackExchange.Redis exception thrown by a phase's own code as the redis probe would (NOAUTH → cache-auth-failed, ...).</summary>
internal sealed class RedisExceptionDescriber : IExceptionDescriber
{
    public ProbeError? Describe(Exception exception, string dependency) =>
        ExceptionChain.Find<RedisException>(exception) is not null ? RedisErrors.Describe(exception, dependency) : null;
}
