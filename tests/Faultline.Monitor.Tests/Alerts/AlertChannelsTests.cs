using Faultline.Core.Config;
using Faultline.Monitor.Alerts;

namespace Faultline.Monitor.Tests.Alerts;

public sealed class AlertChannelsTests
{
    [Fact]
    public void All_SameKindsAsTheConfigAccepts_EveryKindTheConfigValidatesCanBeBuilt()
    {
        Assert.Equal(AlertKinds.All.Order(StringComparer.Ordinal), AlertChannels.All.Select(k => k.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("webhook", null, null, "is a webhook without url")]
    [InlineData("webhook", "ftp://127.0.0.1/hook", null, "has a url that is not an absolute http(s) URL")]
    [InlineData("webhook", "http://127.0.0.1:9/hook", null, null)]
    [InlineData("command", null, null, "is a command without run")]
    [InlineData("command", null, "true", null)]
    [InlineData("log", null, null, null)]
    public void Problem_PerKind_NamesWhatIsMissing(string kind, string? url, string? run, string? expected)
    {
        var spec = new AlertSpec { Name = "ops", Kind = kind, Url = url, Run = run };

        Assert.Equal(expected, AlertChannels.Find(kind)!.Problem(spec));
    }

    [Fact]
    public void Find_UnknownKind_Null() => Assert.Null(AlertChannels.Find("pager"));
}
