using System.CommandLine;
using Faultline.Core.Config;
using Faultline.Lab.Relay;
using Faultline.Lab.Stack;

namespace Faultline.Cli.Commands;

/// <summary><c>faultline lab</c>: the local stack (up, down, status), the fault relay daemon, scenario runs and the demo.</summary>
internal static class LabCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("lab", "A local copy of a production stack (PostgreSQL, Redis, nginx TLS load balancer, dnsmasq, fault relay, the GoldenPath service) to break on purpose and diagnose.")
        {
            CreateUp(output, error),
            CreateDown(output, error),
            CreateStatus(output, error),
            CreateRelay(output, error),
            LabRunCommands.CreateRun(output, error),
            LabRunCommands.CreateDemo(output, error),
        };
        return command;
    }

    private static Command CreateUp(TextWriter output, TextWriter error)
    {
        var command = new Command("up", "Start the lab (idempotent) and wait until the service is ready; writes .faultline/lab/lab.env with every FAULTLINE_LAB_* value. Exit 0: ready; 1: a step failed, and what this up started was stopped again.");
        command.SetAction(async (_, cancellationToken) => await GuardAsync(error, async () =>
        {
            var stack = LabStack.Open();
            await using (stack.ConfigureAwait(false))
            {
                await stack.UpAsync(new LineProgress(output), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }).ConfigureAwait(false));
        return command;
    }

    private static Command CreateDown(TextWriter output, TextWriter error)
    {
        var purge = new Option<bool>("--purge") { Description = "Also delete the lab's state directory (data, certificates, secrets)." };
        var command = new Command("down", "Stop every lab process (app, relay, dnsmasq, nginx, Redis, PostgreSQL); nothing keeps running or listening.") { purge };
        command.SetAction(async (parse, cancellationToken) => await GuardAsync(error, async () =>
        {
            var stack = LabStack.Open();
            await using (stack.ConfigureAwait(false))
            {
                await stack.DownAsync(parse.GetValue(purge), new LineProgress(output), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }).ConfigureAwait(false));
        return command;
    }

    private static Command CreateStatus(TextWriter output, TextWriter error)
    {
        var command = new Command("status", "One line per lab service: up or down, and its port. Exit 1 when any is down.");
        command.SetAction(async (_, cancellationToken) => await GuardAsync(error, async () =>
        {
            var stack = LabStack.Open();
            await using (stack.ConfigureAwait(false))
            {
                var status = await stack.StatusAsync(cancellationToken).ConfigureAwait(false);
                foreach (var service in status)
                {
                    await output.WriteLineAsync($"{service.Name,-9} {(service.Up ? "up" : "down"),-5} 127.0.0.1:{service.Port}  {service.Detail}").ConfigureAwait(false);
                }

                return status.All(s => s.Up) ? ExitCodes.Ok : ExitCodes.CriticalFailure;
            }
        }).ConfigureAwait(false));
        return command;
    }

    private static Command CreateRelay(TextWriter output, TextWriter error)
    {
        var control = new Option<string>("--control")
        {
            Description = "Where the control API listens (127.0.0.1:PORT).",
            Required = true,
        };
        var links = new Option<string[]>("--link")
        {
            Description = "A link NAME=LISTEN_HOST:PORT=UPSTREAM_HOST:PORT (repeatable), e.g. db=127.0.0.1:58191=127.0.0.1:55452 (" + RelayDaemon.LinkSyntax + ").",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("relay", "Run the fault relay in the foreground until interrupted: a TCP relay per link with faults switchable through the control API.") { control, links };
        command.SetAction(async (parse, cancellationToken) => await GuardAsync(error, async () =>
        {
            await RelayDaemon.RunAsync(parse.GetValue(links) ?? [], parse.GetValue(control)!, output, loggerFactory: null, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }).ConfigureAwait(false));
        return command;
    }

    /// <summary>Lab problems (missing package, port in use, a service that did not start) are one clear line and exit 1, never a stack trace.</summary>
    private static async Task<int> GuardAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (LabException ex)
        {
            await error.WriteLineAsync($"faultline lab: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.CriticalFailure;
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync($"faultline lab: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"faultline lab: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
    }

    /// <summary>Progress lines written as they happen (Progress&lt;T&gt; would post them out of order).</summary>
    private sealed class LineProgress(TextWriter output) : IProgress<string>
    {
        public void Report(string value)
        {
            output.WriteLine(value);
            output.Flush();
        }
    }
}
