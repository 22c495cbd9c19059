namespace Faultline.Core.Reporting;

/// <summary>The ANSI styles the console writers use (only when colour is asked for).</summary>
internal static class Ansi
{
    public const string Red = "\u001b[31m";
    public const string Yellow = "\u001b[33m";
    public const string Green = "\u001b[32m";
    public const string Bold = "\u001b[1m";
    public const string Dim = "\u001b[2m";
    public const string Reset = "\u001b[0m";
}
