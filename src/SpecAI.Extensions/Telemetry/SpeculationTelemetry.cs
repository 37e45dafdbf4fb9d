using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SpecAI.Extensions;

/// <summary>
/// The "SpecAI.Extensions" <see cref="Meter"/> and <see cref="ActivitySource"/>. Subscribe with
/// OpenTelemetry (<c>AddMeter("SpecAI.Extensions")</c>, <c>AddSource("SpecAI.Extensions")</c>) or a MeterListener.
/// </summary>
/// <remarks>
/// Every measurement carries the tags <c>specai.mode</c>, <c>specai.verifier</c> and
/// <c>specai.lossless</c>; a lossy verifier (typical acceptance, judge) is reported with
/// <c>specai.lossless = false</c>.
/// </remarks>
public static class SpeculationTelemetry
{
    /// <summary>Name of the meter and the activity source.</summary>
    public const string Name = "SpecAI.Extensions";

    private static readonly Meter Meter = new(Name, "0.1.0");
    private static readonly Counter<long> TargetCalls = Meter.CreateCounter<long>("specai.target_calls", "{call}", "Target verification decodes.");
    private static readonly Counter<long> DraftedTokens = Meter.CreateCounter<long>("specai.drafted_tokens", "{token}", "Tokens proposed to the target.");
    private static readonly Counter<long> AcceptedTokens = Meter.CreateCounter<long>("specai.accepted_tokens", "{token}", "Drafted tokens the verifier accepted.");
    private static readonly Counter<long> GeneratedTokens = Meter.CreateCounter<long>("specai.generated_tokens", "{token}", "Tokens committed to answers.");
    private static readonly Histogram<double> AcceptanceRate = Meter.CreateHistogram<double>("specai.acceptance_rate", null, "Accepted per drafted token, per request.");
    private static readonly Histogram<double> AcceptedLength = Meter.CreateHistogram<double>("specai.accepted_length", "{token}", "Mean accepted drafts per step, per request.");
    private static readonly Histogram<double> TokensPerSecond = Meter.CreateHistogram<double>("specai.tokens_per_second", "{token}/s", "Generation speed per request (prompt excluded).");

    /// <summary>Traces one generation ("specai.generate").</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, "0.1.0");

    /// <summary>Records one finished request.</summary>
    /// <param name="statistics">The request's counters.</param>
    /// <param name="mode">Speculation mode used.</param>
    /// <param name="verifier">Verifier kind used.</param>
    /// <param name="lossless">Whether the verifier is lossless.</param>
    /// <param name="elapsed">Wall time of the generation, prompt decode excluded when known.</param>
    public static void RecordRequest(SpeculationStatistics statistics, SpeculationMode mode, VerifierKind verifier, bool lossless, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var tags = new TagList
        {
            { "specai.mode", mode.ToString() },
            { "specai.verifier", verifier.ToString() },
            { "specai.lossless", lossless },
        };
        TargetCalls.Add(statistics.TargetCalls, tags);
        DraftedTokens.Add(statistics.DraftedTokens, tags);
        AcceptedTokens.Add(statistics.AcceptedTokens, tags);
        GeneratedTokens.Add(statistics.GeneratedTokens, tags);
        if (statistics.DraftedTokens > 0)
        {
            AcceptanceRate.Record(statistics.AcceptanceRate, tags);
            AcceptedLength.Record(statistics.MeanAcceptedLength, tags);
        }

        if (elapsed > TimeSpan.Zero && statistics.GeneratedTokens > 0)
        {
            TokensPerSecond.Record(statistics.GeneratedTokens / elapsed.TotalSeconds, tags);
        }
    }
}
