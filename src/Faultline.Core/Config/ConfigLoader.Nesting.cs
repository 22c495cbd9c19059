using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Faultline.Core.Config;

public static partial class ConfigLoader
{
    /// <summary>
    /// The deepest nesting of lists and mappings a config may have (a real one needs fewer than ten levels).
    /// YamlDotNet's representation model loads nested nodes recursively: a file of a few thousand <c>[</c> would
    /// overflow the stack, which ends the process (no catch can handle it) — the monitor while it reloads a saved file.
    /// </summary>
    public const int MaxNesting = 64;

    /// <summary>
    /// Where the YAML first nests deeper than <see cref="MaxNesting"/>, or null. Reads the event stream, whose parser
    /// keeps its own stack (no recursion). A syntax error before that depth is left to the loader to report.
    /// </summary>
    private static Mark? TooDeep(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is SequenceStart or MappingStart)
                {
                    depth++;
                    if (depth > MaxNesting)
                    {
                        return parser.Current.Start;
                    }
                }
                else if (parser.Current is SequenceEnd or MappingEnd)
                {
                    depth--;
                }
            }
        }
        catch (YamlException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return null;
    }
}
