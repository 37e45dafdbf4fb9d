using System.Text.Json.Serialization;

namespace SpecAI.Cli.Bench;

/// <summary>What <c>bench-raw</c> prints.</summary>
internal sealed class RawResult
{
    /// <summary>Median tokens per second of the greedy loop.</summary>
    [JsonPropertyName("tokens_per_second")]
    public double TokensPerSecond { get; init; }

    /// <summary>Each timed request's tokens per second.</summary>
    [JsonPropertyName("tokens_per_second_runs")]
    public List<double> TokensPerSecondRuns { get; init; } = new();

    /// <summary>Median milliseconds of one decode of n sequences x 1 token, by n.</summary>
    [JsonPropertyName("batch_cost_ms")]
    public Dictionary<int, double> BatchCostMs { get; init; } = new();
}
