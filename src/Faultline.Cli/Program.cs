using System.CommandLine;
using Faultline.Cli.Commands;

namespace Faultline.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // First: a signal from here on ends faultline with 130 or 143 and one line, also while the config is loaded.
        using var termination = Termination.ListenToSignals();
        return await Cli.InvokeAsync(BuildRoot(Console.Out, Console.Error, termination), args, Console.Error, termination).ConfigureAwait(false);
    }

    /// <summary>
    /// The commands; <paramref name="termination"/> is what check and validate word their interruption line and exit
    /// code from (none: a cancellation reads as Ctrl-C).
    /// </summary>
    internal static RootCommand BuildRoot(TextWriter output, TextWriter error, Termination? termination = null)
    {
        termination ??= new Termination();
        return new("Faultline — is it the infrastructure or the application? Probes a stack layer by layer (DNS, network, TLS, load balancer, application, database, cache, secrets) and names the failing layer with evidence.")
        {
            CheckCommand.Create(output, error, termination),
            ValidateCommand.Create(output, error, termination),
            MonitorCommand.Create(output, error),
            SchemaCommand.Create(output),
            LabCommand.Create(output, error),
        };
    }
}

internal static class Cli
{
    /// <summary>
    /// Parses and runs; usage errors exit 2 with the parser's message and a pointer to --help, never a stack trace.
    /// The command runs with <paramref name="termination"/>'s token (System.CommandLine's own signal handling is off):
    /// a command cancelled by a signal exits 130 (SIGINT) or 143 (SIGTERM) with one line on stderr, and one that has
    /// not stopped <see cref="Termination.Grace"/> after the signal is left behind (it may be blocked in a call that
    /// cannot be cancelled).
    /// </summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter error, Termination? termination = null)
    {
        using var own = termination is null ? new Termination() : null;
        termination ??= own!;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await error.WriteLineAsync($"faultline: {e.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync($"Run '{CommandPath(parse)} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        try
        {
            // On the thread pool: a command blocked before its first await must not keep Main from ending at Overdue.
            var invocation = Task.Run(() => parse.InvokeAsync(configuration, termination.Token));
            if (await Task.WhenAny(invocation, termination.Overdue).ConfigureAwait(false) != invocation)
            {
                await error.WriteLineAsync(termination.Line($"stopped waiting after {Termination.Grace.TotalSeconds:0} s")).ConfigureAwait(false);
                return termination.ExitCode;
            }

            return await invocation.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync(termination.Line()).ConfigureAwait(false);
            return termination.ExitCode;
        }
#pragma warning disable CA1031 // Last line of defence: an internal error is reported in one line with exit code 3, not a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await error.WriteLineAsync($"faultline: internal error: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable("FAULTLINE_DEBUG") == "1")
            {
                await error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
            }
            else
            {
                await error.WriteLineAsync("Set FAULTLINE_DEBUG=1 for details, and please report it.").ConfigureAwait(false);
            }

            return ExitCodes.Internal;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command is RootCommand ? "faultline" : result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
