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

    /// <summary>Usage counter: accepted drafted tokens.</summary>
    public const string AcceptedTokens = "specai.accepted_tokens";
}
