using System.CommandLine;
using Faultline.Cli.Commands;

namespace Faultline.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
        => await Cli.InvokeAsync(BuildRoot(Console.Out, Console.Error), args, Console.Error).ConfigureAwait(false);

    internal static RootCommand BuildRoot(TextWriter output, TextWriter error) =>
        new("Faultline — is it the infrastructure or the application? Probes a stack layer by layer (DNS, network, TLS, load balancer, application, database, cache, secrets) and names the failing layer with evidence.")
        {
            CheckCommand.Create(output, error),
            ValidateCommand.Create(output, error),
            MonitorCommand.Create(output, error),
            SchemaCommand.Create(output),
            LabCommand.Create(output, error),
        };
}

internal static class Cli
{
    /// <summary>Parses and runs; usage errors exit 2 with the parser's message and a pointer to --help, never a stack trace.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter error)
    {
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

        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("faultline: interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
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
