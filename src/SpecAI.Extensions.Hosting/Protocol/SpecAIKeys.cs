namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// The <c>specai.*</c> names this server reads and writes. They are the values of <c>SpeculativeChatOptionKeys</c> in
/// SpecAI.Extensions.LLamaSharp, which this library does not reference (it serves any IChatClient); a test checks they agree.
/// </summary>
internal static class SpecAIKeys
{
    /// <summary>Prefix of every per-request key and usage counter.</summary>
    public const string Prefix = "specai.";

    /// <summary>Predicted output text (from OpenAI's <c>prediction</c>).</summary>
    public const string Prediction = "specai.prediction";

    /// <summary>A token-constraint object: only settable in-process.</summary>
    public const string Constraint = "specai.constraint";

    /// <summary>Usage counter: drafted tokens.</summary>
    public const string DraftedTokens = "specai.drafted_tokens";

    /// <summary>Speculation mode (<c>superposed</c> asks for Superposed Decoding suggestions).</summary>
    public const string Mode = "specai.mode";

    /// <summary>The mode value of Superposed Decoding.</summary>
    public const string SuperposedMode = "superposed";

    /// <summary>Number of Superposed Decoding suggestions (from <c>n</c>).</summary>
    public const string Suggestions = "specai.suggestions";

    /// <summary>The suggestions (<c>IReadOnlyList&lt;ChatResponse&gt;</c>) on a superposed response's properties.</summary>
    public const string SuggestionResponses = "specai.suggestion_responses";

    /// <summary>The messages' text is the prompt itself, without a chat template (<c>/v1/completions</c>).</summary>
    public const string RawPrompt = "specai.raw_prompt";

    /// <summary>Usage counter: accepted drafted tokens.</summary>
    public const string AcceptedTokens = "specai.accepted_tokens";

    /// <summary>Usage counter: tokens of the answer.</summary>
    public const string GeneratedTokens = "specai.generated_tokens";

    /// <summary>Usage counter: prompt tokens decoded.</summary>
    public const string PrefillTokens = "specai.prefill_tokens";

    /// <summary>Usage counter: wall time to the first token in microseconds.</summary>
    public const string FirstTokenMicroseconds = "specai.first_token_us";

    /// <summary>Usage counter: wall time after the first token in microseconds.</summary>
    public const string GenerationMicroseconds = "specai.generation_us";
}
