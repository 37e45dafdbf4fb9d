namespace SpecAI.Extensions;

/// <summary>Keys of per-request overrides in <c>ChatOptions.AdditionalProperties</c> and of usage counters.</summary>
public static class SpeculativeChatOptionKeys
{
    /// <summary>Speculation mode: none, draft, multi, lookup, judge; or <see cref="SuperposedMode"/> (k suggestions, LOSSY).</summary>
    public const string Mode = "specai.mode";

    /// <summary>
    /// The <see cref="Mode"/> value that asks for Superposed Decoding (Shen et al., NeurIPS 2024; LOSSY): k suggestions
    /// from one pass per token (<see cref="SpeculativeChatClient.GetSuggestionsAsync"/>). Through
    /// <c>GetResponseAsync</c> the answer is the best suggestion and all k are under <see cref="SuggestionResponses"/>.
    /// </summary>
    public const string SuperposedMode = "superposed";

    /// <summary>Number of suggestions k for mode superposed (int, default 3).</summary>
    public const string Suggestions = "specai.suggestions";

    /// <summary>
    /// The k suggestions (<c>IReadOnlyList&lt;ChatResponse&gt;</c>, best first) on the response's <c>AdditionalProperties</c>
    /// when <c>GetResponseAsync</c> ran in mode superposed.
    /// </summary>
    public const string SuggestionResponses = "specai.suggestion_responses";

    /// <summary>A suggestion's rank (int, 0 = best) on its response's <c>AdditionalProperties</c>.</summary>
    public const string SuggestionIndex = "specai.suggestion_index";

    /// <summary>A suggestion's Superposed Decoding score (double, log scale) on its response's <c>AdditionalProperties</c>.</summary>
    public const string SuggestionScore = "specai.suggestion_score";

    /// <summary>Usage counter: model passes after the prompt's in a Superposed Decoding request (shared by its k suggestions).</summary>
    public const string SuperposedPasses = "specai.superposed_passes";

    /// <summary>
    /// <c>true</c>: the messages' text is the prompt itself, tokenized without the chat template (text completion,
    /// <c>/v1/completions</c>). Bool.
    /// </summary>
    public const string RawPrompt = "specai.raw_prompt";

    /// <summary>Draft length (int).</summary>
    public const string DraftLength = "specai.draft_length";

    /// <summary>Draft count k (int).</summary>
    public const string DraftCount = "specai.draft_count";

    /// <summary>
    /// Verifier: standard, kseq, rrs, rrs-wor, topk, greedy-draft, typical, lantern; or an
    /// <see cref="Verification.ISpeculativeVerifier"/> instance, a rule of your own (see <see cref="Engine.GenerationSettings.CustomVerifier"/>).
    /// </summary>
    public const string Verifier = "specai.verifier";

    /// <summary>TV budget per step of the LANTERN verifier in [0, 1] (double; LOSSY above 0, 0 = standard verification).</summary>
    public const string LanternDelta = "specai.lantern_delta";

    /// <summary>Neighbourhood size k of the LANTERN verifier (int).</summary>
    public const string LanternK = "specai.lantern_k";

    /// <summary>Adaptive drafting on/off (bool).</summary>
    public const string Adaptive = "specai.adaptive";

    /// <summary>Measure the optimal-acceptance bound per verified position (bool; default off: a diagnostic that sorts the support, O(V log V) per position without truncation, not counted as verification time).</summary>
    public const string MeasureOptimalAcceptance = "specai.measure_optimal";

    /// <summary>
    /// An <see cref="Sampling.ITokenConstraint"/> instance restricting the answer (applied to draft and target alike,
    /// so speculation stays lossless with respect to the constrained target).
    /// </summary>
    public const string Constraint = "specai.constraint";

    /// <summary>Judge threshold in [0, 1] for this request (double; 1 = never judge); overrides <see cref="SpeculativeChatClientOptions.JudgeThreshold"/>.</summary>
    public const string JudgeThreshold = "specai.judge_threshold";

    /// <summary>
    /// Predicted output (string): text the answer is expected to resemble, drafted where the answer follows it
    /// (OpenAI's Predicted Outputs). The answer is unchanged; the accepted/rejected draft counts say how much it
    /// helped. Used with modes none, draft and lookup; multi-draft and judge ignore it.
    /// </summary>
    public const string Prediction = "specai.prediction";

    /// <summary>Running count of generated tokens on each streaming update's <c>AdditionalProperties</c>.</summary>
    public const string GeneratedTokens = "specai.generated_tokens";

    /// <summary>Usage counter: target verification calls (also a running count on each streaming update).</summary>
    public const string TargetCalls = "specai.target_calls";

    /// <summary>Usage counter: drafted tokens (also a running count on each streaming update).</summary>
    public const string DraftedTokens = "specai.drafted_tokens";

    /// <summary>Usage counter: accepted drafted tokens (also a running count on each streaming update).</summary>
    public const string AcceptedTokens = "specai.accepted_tokens";

    /// <summary>Usage counter: steps decided by a LOSSY verifier (0 = the answer follows the target's law).</summary>
    public const string LossySteps = "specai.lossy_steps";

    /// <summary>Usage counter: drafted tokens kept only because the judge accepted them (LOSSY; included in <see cref="AcceptedTokens"/>).</summary>
    public const string JudgeAcceptedTokens = "specai.judge_accepted_tokens";

    /// <summary>
    /// <c>true</c> in a response's <c>AdditionalProperties</c> (and in the final streaming update's) when any step was
    /// verified by a LOSSY rule (judge below threshold 1, typical acceptance, LANTERN above delta 0): the answer may differ from the target's law.
    /// </summary>
    public const string Lossy = "specai.lossy";

    /// <summary>Usage counter: prompt tokens decoded for this answer (those not already in the KV cache).</summary>
    public const string PrefillTokens = "specai.prefill_tokens";

    /// <summary>Usage counter: wall time until the first token (queue wait, the prompt's decode, the first step), in microseconds.</summary>
    public const string FirstTokenMicroseconds = "specai.first_token_us";

    /// <summary>Usage counter: wall time from the first token to the end of the answer, in microseconds.</summary>
    public const string GenerationMicroseconds = "specai.generation_us";

    /// <summary>Usage counter: mean optimal acceptance per verified position, in thousandths (multi-draft).</summary>
    public const string OptimalAcceptanceMilli = "specai.optimal_acceptance_milli";

    /// <summary>Usage counter: mean achieved acceptance per verified position, in thousandths (multi-draft).</summary>
    public const string AchievedAcceptanceMilli = "specai.achieved_acceptance_milli";

    /// <summary>Parses a mode string.</summary>
    /// <param name="value">none, draft, multi, lookup or judge (case-insensitive); enum names also accepted.</param>
    /// <returns>The mode.</returns>
    /// <exception cref="ArgumentException">Unknown value.</exception>
    public static SpeculationMode ParseMode(string value) => value.Trim().ToLowerInvariant() switch
    {
        "none" => SpeculationMode.None,
        "draft" or "draftmodel" => SpeculationMode.DraftModel,
        "multi" or "multidraft" => SpeculationMode.MultiDraft,
        "lookup" or "promptlookup" => SpeculationMode.PromptLookup,
        "judge" => SpeculationMode.Judge,
        _ => throw new ArgumentException($"Unknown {Mode} '{value}'; use none, draft, multi, lookup or judge.", nameof(value)),
    };

    /// <summary>Parses a verifier string.</summary>
    /// <param name="value">standard, kseq, rrs, rrs-wor, topk, greedy-draft, typical or lantern (case-insensitive); enum names also accepted.</param>
    /// <returns>The verifier kind.</returns>
    /// <exception cref="ArgumentException">Unknown value.</exception>
    public static VerifierKind ParseVerifier(string value) => value.Trim().ToLowerInvariant() switch
    {
        "standard" => VerifierKind.Standard,
        "kseq" => VerifierKind.KSeq,
        "rrs" or "recursiverejection" => VerifierKind.RecursiveRejection,
        "rrs-wor" or "recursiverejectionwithoutreplacement" => VerifierKind.RecursiveRejectionWithoutReplacement,
        "topk" => VerifierKind.TopK,
        "greedy-draft" or "greedydraft" => VerifierKind.GreedyDraft,
        "typical" => VerifierKind.Typical,
        "lantern" => VerifierKind.Lantern,
        _ => throw new ArgumentException($"Unknown {Verifier} '{value}'; use standard, kseq, rrs, rrs-wor, topk, greedy-draft, typical or lantern.", nameof(value)),
    };
}
