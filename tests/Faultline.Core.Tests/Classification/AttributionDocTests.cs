using Faultline.Core.Classification;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Classification;

/// <summary>docs/attribution.md documents the tables rule by rule; these keep the page and the code in step.</summary>
public class AttributionDocTests
{
    private static readonly Lazy<string> Page = new(() =>
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "Faultline.slnx")))
        {
            repo = repo.Parent;
        }

        Assert.NotNull(repo);
        return File.ReadAllText(Path.Combine(repo.FullName, "docs", "attribution.md"));
    });

    [Fact]
    public void AttributionPage_ListsEveryErrorTableRow()
    {
        var missing = ErrorRules.All
            .Select(r => $"| `{r.Kind.Wire()}` | {r.TargetKind ?? "any"} | {r.Layer.Wire()} | {r.Side.Wire()} |")
            .Where(row => !Page.Value.Contains(row, StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, "rows missing from docs/attribution.md:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void AttributionPage_ListsEveryErrorKindWireValue()
    {
        var missing = Enum.GetValues<ErrorKind>()
            .Select(k => $"| `{k.Wire()}` | ")
            .Where(row => !Page.Value.Contains(row, StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, "error kinds missing from docs/attribution.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void AttributionPage_ListsEveryProxySignature()
    {
        var missing = ProxySignatures.Known.Where(p => !Page.Value.Contains($"**{p}**", StringComparison.Ordinal)).ToList();

        Assert.True(missing.Count == 0, "proxies missing from docs/attribution.md: " + string.Join(", ", missing));
    }
}
