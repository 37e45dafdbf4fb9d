using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SpecAI.Extensions.Hosting.Security;

/// <summary>
/// Which <c>Host</c> headers and <c>Origin</c>s are served. A loopback-only server accepts only loopback names as Host,
/// so a web page that rebinds its own domain to 127.0.0.1 cannot read the API (DNS rebinding, the class of Ollama's
/// CVE-2024-28224); an <c>Origin</c> other than the server's own or a listed one is refused, so no cross-site page can
/// start generations.
/// </summary>
internal sealed class HostPolicy(OpenAIChatCompletionsOptions options)
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];
    private readonly string[] _origins = options.CorsOrigins.Where(o => !string.IsNullOrWhiteSpace(o)).Select(o => o.Trim().TrimEnd('/')).ToArray();
    private string[]? _hosts;

    /// <summary>Whether the request's Host header is served.</summary>
    public bool IsHostAllowed(HttpContext context)
    {
        var hosts = _hosts ??= ResolveHosts(context.RequestServices);
        if (hosts.Length == 0)
        {
            return true;
        }

        string host = context.Request.Host.Host;
        foreach (string allowed in hosts)
        {
            if (allowed == "*"
                || string.Equals(host, allowed, StringComparison.OrdinalIgnoreCase)
                || (allowed.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(allowed[1..], StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="origin"/> names the host and port the request was sent to (its Host header, already
    /// checked). The scheme is not compared: behind a TLS proxy the page is https while the request reaching us is http.
    /// </summary>
    public static bool IsSameOrigin(HttpRequest request, string origin)
        => Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase) // both bracket IPv6: [::1]
            && (request.Host.Port ?? uri.Port) == uri.Port;

    /// <summary>Whether <paramref name="origin"/> is listed in <see cref="OpenAIChatCompletionsOptions.CorsOrigins"/>.</summary>
    public bool IsListedOrigin(string origin)
        => _origins.Any(o => o == "*" || string.Equals(o, origin, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether every address is loopback (<c>localhost</c> or a loopback IP); false for wildcards (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>) and other hosts.</summary>
    public static bool IsLoopbackAddress(string url)
    {
        string host = url;
        int scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        int slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            host = host[..slash];
        }

        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']', StringComparison.Ordinal);
            host = close > 0 ? host[1..close] : host;
        }
        else if (host.LastIndexOf(':') is int colon and > 0)
        {
            host = host[..colon];
        }

        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private string[] ResolveHosts(IServiceProvider services)
    {
        var configured = options.AllowedHosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim()).ToArray();
        if (configured.Length > 0)
        {
            return configured;
        }

        // ASP.NET Core's own setting ("AllowedHosts": "a.example;b.example"); "*" (the templates' value) restricts nothing.
        string? aspNet = services.GetService<IConfiguration>()?["AllowedHosts"];
        var fromConfiguration = (aspNet ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fromConfiguration.Length > 0 && !fromConfiguration.Contains("*"))
        {
            return fromConfiguration;
        }

        // Unknown addresses (a test server) count as loopback: the stricter choice.
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return addresses.All(IsLoopbackAddress) ? LoopbackHosts : [];
    }
}
