using System.Text.Json.Serialization;

namespace SpecAI.Cli.Bench;

/// <summary>What <c>specai bench --concurrency</c> writes as JSON.</summary>
internal sealed class ConcurrencyReport
{
    [JsonPropertyName("command")]
    public required string Command { get; init; }

    [JsonPropertyName("target")]
    public required string Target { get; init; }

    [JsonPropertyName("draft")]
    public required string Draft { get; init; }

    [JsonPropertyName("cores")]
    public int Cores { get; init; }

    [JsonPropertyName("max_tokens")]
    public int MaxTokens { get; init; }

    [JsonPropertyName("rounds")]
    public int Rounds { get; init; }

    [JsonPropertyName("temperature")]
    public double Temperature { get; init; }

    /// <summary>The plain LLamaSharp greedy loop of one request, in its own process.</summary>
    [JsonPropertyName("raw_tokens_per_second")]
    public double RawTokensPerSecond { get; init; }

    /// <summary>Median ms of one decode of n sequences x 1 token.</summary>
    [JsonPropertyName("batch_cost_ms")]
    public required Dictionary<int, double> BatchCostMs { get; init; }

    [JsonPropertyName("results")]
    public required List<ConcurrencyResult> Results { get; init; }
}
