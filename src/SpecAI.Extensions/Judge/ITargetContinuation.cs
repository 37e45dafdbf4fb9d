namespace SpecAI.Extensions.Judge;

/// <summary>The target model as an equivalence check needs it: greedy continuations and text.</summary>
public interface ITargetContinuation
{
    /// <summary>The target's greedy continuation of a token context.</summary>
    /// <param name="context">The tokens so far (prompt and response).</param>
    /// <param name="maxTokens">Most tokens to generate.</param>
    /// <returns>Up to <paramref name="maxTokens"/> tokens; it ends early after an end-of-generation token (included).</returns>
    IReadOnlyList<int> Continue(IReadOnlyList<int> context, int maxTokens);

    /// <summary>The text of tokens (control tokens as empty text).</summary>
    /// <param name="tokens">The tokens.</param>
    /// <returns>The text.</returns>
    string Detokenize(IReadOnlyList<int> tokens);
}
