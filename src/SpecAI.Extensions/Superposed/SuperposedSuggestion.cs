namespace SpecAI.Extensions.Superposed;

/// <summary>One suggestion of a Superposed Decoding request.</summary>
/// <param name="Tokens">Its tokens (without the stop token that ended it).</param>
/// <param name="Score">Its interpolated score (log scale).</param>
/// <param name="ModelLogProbability">Sum of the model's top-k log probabilities of its tokens, under the superposed inputs.</param>
/// <param name="Stopped">Whether a stop token ended it (otherwise it reached the token limit).</param>
internal sealed record SuperposedSuggestion(IReadOnlyList<int> Tokens, double Score, double ModelLogProbability, bool Stopped);
