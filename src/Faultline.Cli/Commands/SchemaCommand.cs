using System.CommandLine;
using Faultline.Core.Config;

namespace Faultline.Cli.Commands;

/// <summary><c>faultline schema</c>: prints the JSON Schema of the config file, for editors.</summary>
internal static class SchemaCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("schema", "Print the JSON Schema of the Faultline config file (the same as docs/config.schema.json), for editor completion.");
        command.SetAction(async (_, cancellationToken) =>
        {
            await output.WriteAsync(ConfigSchema.Generate().AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
