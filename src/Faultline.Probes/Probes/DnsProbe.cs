using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;

namespace Faultline.Probes.Probes;

/// <summary>Asks a DNS server for each requested record type and records rcode, answers and time.</summary>
internal sealed class DnsProbe() : TimedProbe(TargetKinds.Dns, "lookups")
{
    /// <summary>Answers kept in a result, the first ones received; the rest are counted in <see cref="DnsObservation.AnswersDropped"/>.</summary>
    internal const int MaxAnswers = 32;

    /// <summary>Characters kept of one answer's value; a longer value is cut and ends with an ellipsis.</summary>
    internal const int MaxValueLength = 256;

    protected override async Task<Observation> ObserveAsync(TargetSpec target, ProbeContext context, ProbeRun run, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(target.Host))
        {
            return run.Observe("(no host)", ProbeErrors.Config($"dns target {target.Name} needs a host"));
        }

        var host = target.Host.TrimEnd('.');
        var types = new List<QueryType>();
        foreach (var name in target.RecordTypes.DefaultIfEmpty("A"))
        {
            if (!Enum.TryParse<QueryType>(name, ignoreCase: true, out var type) || type == QueryType.ANY || int.TryParse(name, out _))
            {
                return run.Observe(host, ProbeErrors.Config($"dns target {target.Name}: unknown record type '{name}'; use A, AAAA or CNAME"));
            }

            types.Add(type);
        }

        DnsLookup client;
        string server;
        if (target.Resolver is not null)
        {
            if (!HostResolvers.TryParseServer(target.Resolver, out var endpoint))
            {
                return run.Observe(host, ProbeErrors.Config($"dns target {target.Name}: resolver '{target.Resolver}' is not an IP address with an optional port, e.g. 127.0.0.1:5353"));
            }

            client = new DnsLookup(endpoint);
            server = endpoint.ToString();
        }
        else if (HostResolvers.ServerOf(context.Resolver) is { } configured)
        {
            client = new DnsLookup(configured);
            server = configured.ToString();
        }
        else
        {
            var systemServers = NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false)
                .Select(s => new IPEndPoint(IPAddress.Parse(s.Address), s.Port))
                .ToArray();
            if (systemServers.Length == 0)
            {
                return run.Observe(host, ProbeErrors.Config("no system DNS server found (/etc/resolv.conf); set resolver: on the target"));
            }

            client = new DnsLookup(systemServers);
            server = systemServers[0].ToString();
        }

        var target_ = host;
        var answers = new List<DnsAnswer>();
        var rcode = "NOERROR";
        run.Enter("dns");
        try
        {
            foreach (var type in types)
            {
                var response = await client.QueryAsync(host, type, cancellationToken).ConfigureAwait(false);
                var code = response.Header.ResponseCode;
                if (code != DnsHeaderResponseCode.NoError)
                {
                    run.CompleteDns();
                    rcode = HostResolvers.RcodeName(code);
                    var error = new ProbeError(HostResolvers.KindOf(code), $"{host} did not resolve: {rcode} from {server} (query {type})") { Phase = "dns", Code = rcode };
                    return Finish(run, target_, error, server, rcode, answers);
                }

                answers.AddRange(response.Answers.Select(ToAnswer));
            }

            run.CompleteDns();
            if (answers.Count == 0)
            {
                var error = new ProbeError(ErrorKind.DnsNoAnswer, $"{host} has no {string.Join("/", types)} records: NOERROR with an empty answer from {server}") { Phase = "dns", Code = rcode };
                return Finish(run, target_, error, server, rcode, answers);
            }

            return Finish(run, target_, null, server, rcode, answers);
        }
        catch (Exception ex) when (!context.IsCallerCancellation && HostResolvers.Unreadable(host, server, ex) is { } unreadable)
        {
            // The server answered, but not with something usable: not a refusal and not a timeout.
            run.CompleteDns();
            return Finish(run, target_, unreadable, server, unreadable.Code!, answers);
        }
        catch (DnsResponseException ex) when (!context.IsCallerCancellation)
        {
            run.CompleteDns();
            // The library may surface the deadline as its own error rather than as a cancellation.
            if (ex.Code == DnsResponseCode.ConnectionTimeout || cancellationToken.IsCancellationRequested)
            {
                var timeout = new ProbeError(ErrorKind.DnsTimeout, $"{host} did not resolve: no answer from {server} within {Durations.Describe(run.Elapsed)}") { Phase = "dns", Code = "TIMEOUT", Exception = ex };
                return Finish(run, target_, timeout, server, "TIMEOUT", answers);
            }

            // Not a timeout: the query could not be sent or the answer could not be read (e.g. ICMP port unreachable).
            var code = ex.Code.ToString();
            var error = new ProbeError(ErrorKind.DnsRefused, $"{host} did not resolve: {server} could not be asked ({code})") { Phase = "dns", Code = code, Exception = ex };
            return Finish(run, target_, error, server, code, answers);
        }
        catch (OperationCanceledException ex) when (!context.IsCallerCancellation && cancellationToken.IsCancellationRequested)
        {
            run.CompleteDns();
            var error = new ProbeError(ErrorKind.DnsTimeout, $"{host} did not resolve: no answer from {server} within {Durations.Describe(run.Elapsed)}") { Phase = "dns", Code = "TIMEOUT", Exception = ex };
            return Finish(run, target_, error, server, "TIMEOUT", answers);
        }
    }

    /// <summary>The observation, with at most <see cref="MaxAnswers"/> answers kept (and the addresses among them).</summary>
    private static Observation Finish(ProbeRun run, string target, ProbeError? error, string server, string rcode, List<DnsAnswer> answers)
    {
        var kept = answers.Count > MaxAnswers ? answers.GetRange(0, MaxAnswers) : answers;
        run.Addresses = kept.Where(a => a.Type is "A" or "AAAA").Select(a => a.Value).ToList();
        return run.Observe(target, error) with
        {
            Dns = new DnsObservation { Server = server, ResponseCode = rcode, Answers = kept, AnswersDropped = answers.Count - kept.Count },
        };
    }

    private static DnsAnswer ToAnswer(DnsResourceRecord record)
    {
        var value = record switch
        {
            ARecord a => a.Address.ToString(),
            AaaaRecord aaaa => aaaa.Address.ToString(),
            CNameRecord cname => cname.CanonicalName.Value.TrimEnd('.'),
            _ => record.ToString(),
        };
        return new DnsAnswer(record.RecordType.ToString(), Cap(value), record.TimeToLive);
    }

    /// <summary>At most <see cref="MaxValueLength"/> characters: a longer value keeps its start and ends with <c>…</c>.</summary>
    internal static string Cap(string value)
    {
        if (value.Length <= MaxValueLength)
        {
            return value;
        }

        var keep = MaxValueLength - 1;
        if (char.IsHighSurrogate(value[keep - 1]))
        {
            keep--;
        }

        return string.Concat(value.AsSpan(0, keep), "…");
    }
}
