using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpecAI.Extensions.Judge;

/// <summary>The result of a judge evaluation sweep.</summary>
/// <param name="Target">Target model name.</param>
/// <param name="Draft">Draft model name.</param>
/// <param name="Head">The head file.</param>
/// <param name="DefaultThreshold">The head's default threshold.</param>
/// <param name="Prompts">Held-out prompts used.</param>
/// <param name="SamplesPerPrompt">Generations per prompt and setting.</param>
/// <param name="MaxTokens">Tokens per generation.</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="DraftLength">Draft length.</param>
/// <param name="HeldOutAuc">ROC AUC of the head on the held-out labelled tokens (null when a class is missing).</param>
/// <param name="ThresholdOneReproducesStandard">Whether threshold 1 reproduced standard verification token for token in every generation.</param>
/// <param name="Standard">Standard (lossless) verification at the same seeds: the reference.</param>
/// <param name="Thresholds">One point per threshold, highest first.</param>
public sealed record JudgeEvaluationReport(
    string Target,
    string Draft,
    string Head,
    double DefaultThreshold,
    int Prompts,
    int SamplesPerPrompt,
    int MaxTokens,
    double Temperature,
    int DraftLength,
    double? HeldOutAuc,
    bool ThresholdOneReproducesStandard,
    JudgeSweepPoint Standard,
    IReadOnlyList<JudgeSweepPoint> Thresholds)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// The report as JSON with snake_case names: <c>{ "target", ..., "standard": {...}, "thresholds": [ { "threshold",
    /// "tokens_per_target_call", "quality", ... } ] }</c>.
    /// </summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
