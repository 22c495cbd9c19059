using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Tests.Validation;

/// <summary>Reports built in code: one result per (name, status), in the shape the check runner produces.</summary>
internal static class ValidationSamples
{
    public static readonly DateTimeOffset Start = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    public static TargetResult Pass(string name, string category = "default", bool critical = true) => new()
    {
        Name = name,
        Kind = "tcp",
        Target = "127.0.0.1:5432",
        Category = category,
        Critical = critical,
        Status = ResultStatus.Pass,
        DurationMs = 3,
    };

    public static TargetResult Warn(string name, string category = "default") =>
        Pass(name, category) with { Status = ResultStatus.Warn, Layer = Layer.Tls, Side = Side.Infrastructure, Evidence = ["certificate expires in 3 days"] };

    public static TargetResult Fail(string name, string category = "default", bool critical = true, Layer layer = Layer.Database, string kind = "connect-timeout", string message = "connect timed out after 3 s") =>
        Pass(name, category, critical) with
        {
            Status = ResultStatus.Fail,
            Layer = layer,
            Side = Side.Infrastructure,
            Error = new ResultError(kind, message),
            Evidence = [message, "no SYN-ACK from 127.0.0.1:5432"],
            Remedy = "check the path",
        };

    public static Report Report(params TargetResult[] results) =>
        ReportBuilder.Build("test", Start, TimeSpan.FromMilliseconds(12), results);
}
