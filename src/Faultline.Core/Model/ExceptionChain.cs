namespace Faultline.Core.Model;

/// <summary>Reading an exception's inner chain: where probes and the in-app library find the failure that really happened.</summary>
public static class ExceptionChain
{
    /// <summary>The first exception of type <typeparamref name="T"/> in <paramref name="exception"/>'s inner chain (itself included).</summary>
    public static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>The innermost exception of the chain: usually the one that says what happened.</summary>
    public static Exception Innermost(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
