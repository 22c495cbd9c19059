using Faultline.Core.Model;

namespace Faultline.Probes.Probes;

/// <summary>
/// What following a redirect may do, decided before the next request: the probed server names the next URL,
/// so a redirect is untrusted input. Never from https to http; never back to a URL already visited; never
/// more than the hop limit. Leaving the original origin drops the configured headers (see HttpProbe).
/// </summary>
internal static class Redirects
{
    /// <summary>Why <paramref name="next"/> must not be followed after <paramref name="chain"/> (null: follow it), with the chain as evidence.</summary>
    public static ProbeError? Check(IReadOnlyList<Uri> chain, Uri next, int maxRedirects)
    {
        var path = string.Join(" → ", chain.Append(next).Select(HttpProbe.DisplayUrl));
        if (chain[^1].Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps)
        {
            return new ProbeError(ErrorKind.RedirectRefused, $"redirect from https to {next.Scheme} refused (the request would leave TLS): {path}") { Phase = "redirect" };
        }

        if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
        {
            return new ProbeError(ErrorKind.RedirectRefused, $"redirect to a {next.Scheme}: URL refused: {path}") { Phase = "redirect" };
        }

        if (chain.Any(u => Uri.Compare(u, next, UriComponents.HttpRequestUrl, UriFormat.UriEscaped, StringComparison.Ordinal) == 0))
        {
            return new ProbeError(ErrorKind.RedirectLoop, $"redirect loop: {path}") { Phase = "redirect" };
        }

        if (chain.Count > maxRedirects)
        {
            return new ProbeError(ErrorKind.RedirectLoop, $"more than {maxRedirects} redirects: {path}") { Phase = "redirect" };
        }

        return null;
    }

    /// <summary>Same scheme, host and port.</summary>
    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>A redirect never brings credentials of its own into the request.</summary>
    public static Uri WithoutUserInfo(Uri uri) =>
        string.IsNullOrEmpty(uri.UserInfo) ? uri : new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;
}
