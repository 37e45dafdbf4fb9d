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
    // Explicit buckets: the SDK's default boundaries (0, 5, 10, ... 10000) would put every rate in [0, 1] in one bucket.
    private static readonly Histogram<double> AcceptanceRate = Meter.CreateHistogram("specai.acceptance_rate", null, "Accepted per drafted token, per request.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = Steps(0, 1, 0.05) });
    private static readonly Histogram<double> AcceptedLength = Meter.CreateHistogram("specai.accepted_length", "{token}", "Mean accepted drafts per step, per request.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [.. Steps(0, 8, 0.5), 10, 12, 16, 24, 32, 64] });

    // Named after vLLM's speculative-decoding counters (vllm:spec_decode_*), so a dashboard's queries need only the
    // prefix changed (Prometheus: specai_spec_decode_num_drafts_total for vllm:spec_decode_num_drafts_total). No unit,
    // so the exporter adds no unit suffix.
    private static readonly Counter<long> SpecDecodeDrafts = Meter.CreateCounter<long>("specai.spec_decode_num_drafts", null, "Speculative steps that drafted at least one token (vLLM: spec_decode_num_drafts).");
    private static readonly Counter<long> SpecDecodeDraftTokens = Meter.CreateCounter<long>("specai.spec_decode_num_draft_tokens", null, "Drafted tokens (vLLM: spec_decode_num_draft_tokens).");
    private static readonly Counter<long> SpecDecodeAcceptedTokens = Meter.CreateCounter<long>("specai.spec_decode_num_accepted_tokens", null, "Accepted drafted tokens (vLLM: spec_decode_num_accepted_tokens).");
    private static readonly Counter<long> SpecDecodeAcceptedPerPosition = Meter.CreateCounter<long>("specai.spec_decode_num_accepted_tokens_per_pos", null, "Accepted drafted tokens by draft position from 0, tag position (vLLM: spec_decode_num_accepted_tokens_per_pos).");
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
        SpecDecodeDrafts.Add(statistics.DraftSteps, tags);
        SpecDecodeDraftTokens.Add(statistics.DraftedTokens, tags);
        SpecDecodeAcceptedTokens.Add(statistics.AcceptedTokens, tags);
        RecordAcceptedPerPosition(statistics.AcceptedLengthHistogram(), tags);
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

    /// <summary>Accepted tokens at draft position p (from 0): the steps whose accepted run was longer than p.</summary>
    private static void RecordAcceptedPerPosition(long[] acceptedLengthHistogram, TagList tags)
    {
        // The histogram's last entry holds every longer run, so positions below it are exact.
        long longer = 0;
        for (int position = acceptedLengthHistogram.Length - 2; position >= 0; position--)
        {
            longer += acceptedLengthHistogram[position + 1];
            if (longer > 0)
            {
                var positionTags = tags;
                positionTags.Add("position", position);
                SpecDecodeAcceptedPerPosition.Add(longer, positionTags);
            }
        }
    }

    private static double[] Steps(double from, double to, double step)
    {
        int count = (int)Math.Round((to - from) / step) + 1;
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = Math.Round(from + (i * step), 10);
        }

        return values;
    }
}
