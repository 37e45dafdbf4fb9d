using Microsoft.Extensions.Configuration;
using SpecAI.Extensions.Hosting;

namespace SpecAI.Cli;

/// <summary>
/// The security settings of <c>specai serve</c>: API keys from every source, and the refusal to listen beyond loopback
/// without a key.
/// </summary>
internal static class ServeSecurity
{
    /// <summary>Configuration section of the server settings (<see cref="OpenAIChatCompletionsOptions"/>).</summary>
    public const string SectionName = "SpecAI:Server";

    /// <summary>Environment variable holding one API key.</summary>
    public const string ApiKeyVariable = "SPECAI_API_KEY";

    /// <summary>
    /// Fills <paramref name="options"/> from the "SpecAI:Server" section, then adds the keys of <c>--api-key</c>,
    /// <c>--api-key-file</c> (one a line; blank lines and lines starting with '#' skipped) and <c>SPECAI_API_KEY</c>, and
    /// the hosts and origins given on the command line.
    /// </summary>
    public static void Configure(OpenAIChatCompletionsOptions options, IConfiguration configuration, IEnumerable<string> keys, string? keyFile, string? environmentKey, IEnumerable<string> allowedHosts, IEnumerable<string> corsOrigins)
    {
        configuration.GetSection(SectionName).Bind(options);
        foreach (string key in keys.Concat(keyFile is null ? [] : ReadKeyFile(keyFile)).Append(environmentKey ?? string.Empty))
        {
            if (!string.IsNullOrWhiteSpace(key) && !options.ApiKeys.Contains(key.Trim()))
            {
                options.ApiKeys.Add(key.Trim());
            }
        }

        foreach (string host in SplitList(allowedHosts))
        {
            options.AllowedHosts.Add(host);
        }

        foreach (string origin in SplitList(corsOrigins))
        {
            options.CorsOrigins.Add(origin);
        }
    }

    /// <summary>
    /// Why the server must not start, or null: listening beyond loopback (<c>0.0.0.0</c>, <c>[::]</c>, a LAN address, a
    /// host name) with no API key, unless <paramref name="allowUnauthenticated"/>.
    /// </summary>
    public static string? BindingError(IEnumerable<string> urls, OpenAIChatCompletionsOptions options, bool allowUnauthenticated)
    {
        var exposed = urls.Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count == 0 || options.ApiKeys.Any(k => !string.IsNullOrWhiteSpace(k)) || allowUnauthenticated)
        {
            return null;
        }

        return $"Refusing to listen on {string.Join(", ", exposed)} without an API key: anyone who can reach it could use the models. "
            + $"Give one with --api-key KEY (or --api-key-file, {ApiKeyVariable}, {SectionName}:ApiKeys), listen on 127.0.0.1, "
            + "or pass --allow-unauthenticated if an open server is what you want.";
    }

    /// <summary>Whether a listening address is loopback only (same rule as the server's Host check).</summary>
    public static bool IsLoopback(string url) => Extensions.Hosting.Security.HostPolicy.IsLoopbackAddress(url);

    /// <summary>The keys in a key file.</summary>
    public static IEnumerable<string> ReadKeyFile(string path)
        => File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'));

    private static IEnumerable<string> SplitList(IEnumerable<string> values)
        => values.SelectMany(v => v.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
