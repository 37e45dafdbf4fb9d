using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SpecAI.Extensions.Tests.Telemetry;

/// <summary>The vLLM-named counters and the histogram bucket advice of the "SpecAI.Extensions" meter.</summary>
public sealed class SpeculationTelemetryTests
{
    [Fact]
    public void RecordRequest_CountsDraftsTokensAndAcceptedPerPosition_LikeVllm()
    {
        // Steps: 4 drafted / 2 accepted, 4 / 0, 4 / 4, and one step without drafts (speculation off).
        var statistics = new SpeculationStatistics();
        statistics.RecordStep(drafted: 4, accepted: 2, committed: 3, lossy: false, TimeSpan.Zero);
        statistics.RecordStep(drafted: 4, accepted: 0, committed: 1, lossy: false, TimeSpan.Zero);
        statistics.RecordStep(drafted: 4, accepted: 4, committed: 5, lossy: false, TimeSpan.Zero);
        statistics.RecordStep(drafted: 0, accepted: 0, committed: 1, lossy: false, TimeSpan.Zero);
        Assert.Equal(3, statistics.DraftSteps);

        // A verifier name no other test uses tells this request's measurements apart from concurrent tests'.
        var verifier = (VerifierKind)987;
        var sums = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SpeculationTelemetry.Name && instrument.Name.StartsWith("specai.spec_decode_", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? position = null;
            bool ours = false;
            foreach (var tag in tags)
            {
                ours |= tag.Key == "specai.verifier" && (string?)tag.Value == verifier.ToString();
                position = tag.Key == "position" ? tag.Value!.ToString() : position;
            }

            if (ours)
            {
                sums.AddOrUpdate(instrument.Name + (position is null ? string.Empty : $"[{position}]"), value, (_, v) => v + value);
            }
        });
        listener.Start();

        SpeculationTelemetry.RecordRequest(statistics, SpeculationMode.DraftModel, verifier, lossless: true, TimeSpan.FromSeconds(1));

        Assert.Equal(3, sums["specai.spec_decode_num_drafts"]);
        Assert.Equal(12, sums["specai.spec_decode_num_draft_tokens"]);
        Assert.Equal(6, sums["specai.spec_decode_num_accepted_tokens"]);
        // Position p counts the steps whose accepted run is longer than p: runs 2, 0, 4.
        Assert.Equal(2, sums["specai.spec_decode_num_accepted_tokens_per_pos[0]"]);
        Assert.Equal(2, sums["specai.spec_decode_num_accepted_tokens_per_pos[1]"]);
        Assert.Equal(1, sums["specai.spec_decode_num_accepted_tokens_per_pos[2]"]);
        Assert.Equal(1, sums["specai.spec_decode_num_accepted_tokens_per_pos[3]"]);
        Assert.False(sums.ContainsKey("specai.spec_decode_num_accepted_tokens_per_pos[4]"));
    }

    [Fact]
    public void AcceptanceRate_AdvisesBucketsFromZeroToOne()
    {
        Histogram<double>? histogram = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == SpeculationTelemetry.Name && instrument.Name == "specai.acceptance_rate")
            {
                histogram = (Histogram<double>)instrument;
            }
        };
        listener.Start();
        SpeculationTelemetry.RecordRequest(new SpeculationStatistics(), SpeculationMode.DraftModel, VerifierKind.Standard, lossless: true, TimeSpan.Zero);

        var bounds = histogram!.Advice!.HistogramBucketBoundaries!;
        Assert.Equal(0, bounds[0]);
        Assert.Equal(1, bounds[^1]);
        Assert.True(bounds.Zip(bounds.Skip(1)).All(p => p.Second - p.First is > 0 and <= 0.1 + 1e-12));
    }
}
