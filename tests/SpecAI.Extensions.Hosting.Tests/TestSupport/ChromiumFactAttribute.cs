namespace SpecAI.Extensions.Hosting.Tests.TestSupport;

/// <summary>A fact that needs Debian's <c>chromium</c> (driven by Playwright; browser downloads are not possible here). Skipped, saying why, when it is absent.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>The browser: <c>SPECAI_CHROMIUM</c> when set, else Debian's package.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("SPECAI_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath))
        {
            Skip = $"Chromium not found at {ExecutablePath}: install Debian's package (apt-get install -y chromium; .ci/run does) or set SPECAI_CHROMIUM.";
        }
    }
}
