using Faultline.Core.Model;

namespace Faultline.Core.Running;

/// <summary>
/// Removes every known secret from a result: each text a probe recorded, whether it came from the
/// config or from the probed server (status line, headers — names and values —, body, frames, DNS
/// and certificate text, what a service says about itself). Check, validate, monitor (its store, its
/// alerts) and the lab all take results from <see cref="CheckRunner"/>, which applies this once every
/// probe of a run has finished. A test fills every text of a result through reflection and fails
/// when a field added later is missed here.
/// </summary>
public static class ResultRedaction
{
    public static TargetResult Redact(this SecretRedactor redactor, TargetResult result)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        ArgumentNullException.ThrowIfNull(result);
        if (redactor.Count == 0)
        {
            return result;
        }

        string R(string text) => redactor.Redact(text);
        string? N(string? text) => redactor.RedactNullable(text);
        return result with
        {
            Target = R(result.Target),
            Conditions = [.. result.Conditions.Select(c => c with { Expr = R(c.Expr), Actual = N(c.Actual) })],
            Error = result.Error is { } e ? e with { Message = R(e.Message) } : null,
            Evidence = [.. result.Evidence.Select(R)],
            Remedy = N(result.Remedy),
            Observation = result.Observation is { } o ? redactor.Redact(o) : null,
        };
    }

    public static Observation Redact(this SecretRedactor redactor, Observation observation)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        ArgumentNullException.ThrowIfNull(observation);
        string R(string text) => redactor.Redact(text);
        string? N(string? text) => redactor.RedactNullable(text);
        CertificateInfo Certificate(CertificateInfo c) => c with { Subject = R(c.Subject), Issuer = R(c.Issuer), SubjectAlternativeNames = [.. c.SubjectAlternativeNames.Select(R)], Thumbprint = N(c.Thumbprint) };
        TerminationMessage? Termination(TerminationMessage? t) => t is null ? null : t with { Phase = N(t.Phase), ErrorKind = N(t.ErrorKind), Message = N(t.Message) };

        return observation with
        {
            Target = R(observation.Target),
            Error = observation.Error is { } e ? e with { Message = R(e.Message), Phase = N(e.Phase), Code = N(e.Code) } : null,
            Addresses = [.. observation.Addresses.Select(R)],
            Warnings = [.. observation.Warnings.Select(R)],
            Http = observation.Http is { } h
                ? h with
                {
                    ReasonPhrase = N(h.ReasonPhrase),
                    Version = N(h.Version),
                    Headers = RedactHeaders(h.Headers, redactor),
                    Body = R(h.Body),
                    FinalUrl = N(h.FinalUrl),
                }
                : null,
            Tls = observation.Tls is { } tls
                ? tls with
                {
                    ServerName = N(tls.ServerName),
                    Protocol = N(tls.Protocol),
                    CipherSuite = N(tls.CipherSuite),
                    Leaf = tls.Leaf is { } leaf ? Certificate(leaf) : null,
                    Chain = [.. tls.Chain.Select(Certificate)],
                    ChainStatus = [.. tls.ChainStatus.Select(R)],
                }
                : null,
            Dns = observation.Dns is { } dns
                ? dns with { Server = R(dns.Server), ResponseCode = R(dns.ResponseCode), Answers = [.. dns.Answers.Select(a => a with { Type = R(a.Type), Value = R(a.Value) })] }
                : null,
            Database = observation.Database is { } db ? db with { ServerVersion = N(db.ServerVersion), SqlState = N(db.SqlState) } : null,
            Cache = observation.Cache is { } cache ? cache with { ServerVersion = N(cache.ServerVersion), Role = N(cache.Role) } : null,
            Secrets = observation.Secrets is { } secrets
                ? secrets with
                {
                    Source = R(secrets.Source),
                    Entries = [.. secrets.Entries.Select(s => s with { Name = R(s.Name), Fingerprint = N(s.Fingerprint), Rules = [.. s.Rules.Select(r => r with { Rule = R(r.Rule), Detail = R(r.Detail) })] })],
                }
                : null,
            WebSocket = observation.WebSocket is { } ws
                ? ws with
                {
                    SubProtocol = N(ws.SubProtocol),
                    Events = [.. ws.Events.Select(ev => ev with { Name = N(ev.Name) })],
                    Expected = [.. ws.Expected.Select(R)],
                    Missing = [.. ws.Missing.Select(R)],
                    Answer = N(ws.Answer),
                    CloseStatus = N(ws.CloseStatus),
                    CloseDescription = N(ws.CloseDescription),
                }
                : null,
            Remote = observation.Remote is { } remote
                ? remote with
                {
                    Source = R(remote.Source),
                    Service = N(remote.Service),
                    Environment = N(remote.Environment),
                    Status = N(remote.Status),
                    Startup = N(remote.Startup),
                    NetworkPathOverall = N(remote.NetworkPathOverall),
                    Remedies = [.. remote.Remedies.Select(R)],
                    Problem = N(remote.Problem),
                    Termination = Termination(remote.Termination),
                }
                : null,
            Load = observation.Load is { } load
                ? load with
                {
                    AttemptKind = R(load.AttemptKind),
                    AttemptNoun = R(load.AttemptNoun),
                    FailureGroups = [.. load.FailureGroups.Select(g => g with { ErrorKind = R(g.ErrorKind), Example = R(g.Example), Remedy = N(g.Remedy) })],
                    Instances = [.. load.Instances.Select(i => i with { StderrTail = N(i.StderrTail), Problem = N(i.Problem), ErrorKind = N(i.ErrorKind), Termination = Termination(i.Termination) })],
                }
                : null,
            Components = [.. observation.Components.Select(c => c with
            {
                Name = R(c.Name),
                Status = R(c.Status),
                ErrorKind = N(c.ErrorKind),
                Breaker = N(c.Breaker),
                Message = N(c.Message),
                Source = R(c.Source),
                Service = N(c.Service),
            })],
        };
    }

    /// <summary>Header names and values: a server may echo a credential in either.</summary>
    private static Dictionary<string, string> RedactHeaders(IReadOnlyDictionary<string, string> headers, SecretRedactor redactor)
    {
        var redacted = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            var key = redactor.Redact(name);
            var text = redactor.Redact(value);
            redacted[key] = redacted.TryGetValue(key, out var earlier) ? earlier + ", " + text : text;
        }

        return redacted;
    }
}
