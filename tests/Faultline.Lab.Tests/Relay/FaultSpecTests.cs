using Faultline.Lab.Relay;

namespace Faultline.Lab.Tests.Relay;

public sealed class FaultSpecTests
{
    private static Dictionary<string, string> Fields(params string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    [Fact]
    public void TryParse_Latency_ReadsEveryParameter()
    {
        Assert.True(FaultSpec.TryParse(Fields("fault=latency", "delay=5s", "jitter=100ms", "direction=down"), out var spec, out var error), error);

        Assert.Equal(FaultKind.Latency, spec.Kind);
        Assert.Equal(TimeSpan.FromSeconds(5), spec.Delay);
        Assert.Equal(TimeSpan.FromMilliseconds(100), spec.Jitter);
        Assert.Equal(FaultDirection.Down, spec.Direction);
    }

    [Fact]
    public void TryParse_LatencyDefaults_BothDirectionsNoJitter()
    {
        Assert.True(FaultSpec.TryParse(Fields("fault=latency", "delay=250ms"), out var spec, out var error), error);

        Assert.Equal(FaultSpec.Latency(TimeSpan.FromMilliseconds(250)), spec);
        Assert.Equal(TimeSpan.Zero, spec.Jitter);
        Assert.Equal(FaultDirection.Both, spec.Direction);
    }

    [Theory]
    [InlineData("fault=blackhole")]
    [InlineData("fault=reset")]
    [InlineData("fault=reset", "afterBytes=100")]
    [InlineData("fault=refuse")]
    [InlineData("fault=bandwidth", "bytesPerSecond=1024")]
    [InlineData("fault=connection-cap", "max=5")]
    [InlineData("fault=connection-cap", "max=5", "mode=queue")]
    [InlineData("fault=slow-accept", "delay=3s")]
    [InlineData("fault=drop", "every=3")]
    [InlineData("fault=latency", "delay=1.5s", "jitter=0.5ms", "direction=up")]
    public void ToFields_ParsedSpec_RoundTrips(params string[] pairs)
    {
        Assert.True(FaultSpec.TryParse(Fields(pairs), out var spec, out var error), error);

        Assert.True(FaultSpec.TryParse(spec.ToFields(), out var again, out error), error);
        Assert.Equal(spec, again);
        foreach (var (key, value) in Fields(pairs))
        {
            Assert.Equal(value, spec.ToFields()[key]);
        }
    }

    [Theory]
    [InlineData("'fault' is required: one of latency, blackhole, reset, refuse, bandwidth, connection-cap, slow-accept, drop", "delay=5s")]
    [InlineData("unknown fault 'slow_accept': use one of latency, blackhole, reset, refuse, bandwidth, connection-cap, slow-accept, drop", "fault=slow_accept")]
    [InlineData("fault latency: 'delay' is required (write a number and a unit: 250ms, 2s, 1.5s, 5m, 2h or 14d)", "fault=latency")]
    [InlineData("fault latency: 'delay' is not a duration: '5' (write a number and a unit: 250ms, 2s, 1.5s, 5m, 2h or 14d)", "fault=latency", "delay=5")]
    [InlineData("fault latency: 'direction' must be up or down or both, not 'sideways'", "fault=latency", "delay=5s", "direction=sideways")]
    [InlineData("fault latency: unknown key 'every' (use delay, jitter, direction)", "fault=latency", "delay=5s", "every=2")]
    [InlineData("fault refuse: unknown key 'delay' (refuse takes no parameters)", "fault=refuse", "delay=5s")]
    [InlineData("fault reset: 'afterBytes' must be a whole number >= 0, not '-1'", "fault=reset", "afterBytes=-1")]
    [InlineData("fault bandwidth: 'bytesPerSecond' is required (a whole number >= 1)", "fault=bandwidth")]
    [InlineData("fault bandwidth: 'bytesPerSecond' must be a whole number >= 1, not '1kb'", "fault=bandwidth", "bytesPerSecond=1kb")]
    [InlineData("fault connection-cap: 'max' must be a whole number >= 1, not '0'", "fault=connection-cap", "max=0")]
    [InlineData("fault connection-cap: 'mode' must be reject or queue, not 'drop'", "fault=connection-cap", "max=1", "mode=drop")]
    [InlineData("fault slow-accept: 'delay' is required (write a number and a unit: 250ms, 2s, 1.5s, 5m, 2h or 14d)", "fault=slow-accept")]
    [InlineData("fault drop: 'every' is required (a whole number >= 1)", "fault=drop")]
    [InlineData("fault drop: 'every' must be a whole number >= 1, not '99999999999'", "fault=drop", "every=99999999999")]
    public void TryParse_Invalid_ExplainsWhatToWrite(string expected, params string[] pairs)
    {
        Assert.False(FaultSpec.TryParse(Fields(pairs), out _, out var error));

        Assert.Equal(expected, error);
    }

    [Fact]
    public void Factories_InvalidParameters_Throw()
    {
        Assert.Throws<ArgumentException>(() => FaultSpec.Drop(0));
        Assert.Throws<ArgumentException>(() => FaultSpec.Bandwidth(0));
        Assert.Throws<ArgumentException>(() => FaultSpec.ConnectionCap(0));
    }

    [Fact]
    public void ToString_Latency_NamesKindAndParameters()
    {
        Assert.Equal("latency(delay=5s, jitter=0s, direction=both)", FaultSpec.Latency(TimeSpan.FromSeconds(5)).ToString());
        Assert.Equal("blackhole", FaultSpec.Blackhole().ToString());
    }
}
