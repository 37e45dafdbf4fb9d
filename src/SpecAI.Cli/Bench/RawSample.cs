namespace SpecAI.Cli.Bench;

/// <summary>One raw request: wall, target decode and prefill milliseconds, time to the first token, tokens, single-token decodes.</summary>
internal sealed record RawSample(double WallMs, double DecodeMs, double PrefillMs, double FirstMs, int Tokens, int SingleDecodes)
{
    /// <summary>Tokens per second of the request.</summary>
    public double TokensPerSecond => Tokens / WallMs * 1000;

    /// <summary>Mean milliseconds of one single-token decode (prefill apart).</summary>
    public double MsPerDecode => SingleDecodes > 0 ? (DecodeMs - PrefillMs) / SingleDecodes : double.NaN;
}
