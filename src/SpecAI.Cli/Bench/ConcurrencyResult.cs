using System.Text.Json.Serialization;

namespace SpecAI.Cli.Bench;

/// <summary>One concurrency level and mode of <c>specai bench --concurrency</c>.</summary>
internal sealed class ConcurrencyResult
{
    /// <summary>Callers at once.</summary>
    [JsonPropertyName("concurrency")]
    public int Concurrency { get; init; }

    /// <summary>plain (mode none) or speculative (draft model, adaptive).</summary>
    [JsonPropertyName("mode")]
    public required string Mode { get; init; }

    /// <summary>Median over rounds of the tokens all callers received per second of wall time.</summary>
    [JsonPropertyName("tokens_per_second")]
    public double TokensPerSecond { get; init; }

    /// <summary>Each round's aggregate tokens per second.</summary>
    [JsonPropertyName("tokens_per_second_rounds")]
    public List<double> TokensPerSecondRounds { get; init; } = new();

    /// <summary>n / b(n): the most that batching n single-token rows can give on this machine (b measured in the same run).</summary>
    [JsonPropertyName("batching_limit")]
    public double? BatchingLimit { get; init; }

    /// <summary>Aggregate tokens/s relative to plain decoding of one caller.</summary>
    [JsonPropertyName("scaling")]
    public double? Scaling { get; init; }

    /// <summary>Scaling / batching limit.</summary>
    [JsonPropertyName("batching_efficiency")]
    public double? BatchingEfficiency { get; init; }

    /// <summary>Speculative aggregate tokens/s over plain at the same level.</summary>
    [JsonPropertyName("speculative_vs_plain")]
    public double? SpeculativeVsPlain { get; init; }

    /// <summary>Median time to first token.</summary>
    [JsonPropertyName("ttft_p50_ms")]
    public double? TimeToFirstTokenP50Ms { get; init; }

    /// <summary>95th percentile time to first token.</summary>
    [JsonPropertyName("ttft_p95_ms")]
    public double? TimeToFirstTokenP95Ms { get; init; }

    /// <summary>Median inter-token latency.</summary>
    [JsonPropertyName("itl_p50_ms")]
    public double? InterTokenP50Ms { get; init; }

    /// <summary>95th percentile inter-token latency.</summary>
    [JsonPropertyName("itl_p95_ms")]
    public double? InterTokenP95Ms { get; init; }
}
