namespace SpecAI.Extensions.Superposed;

/// <summary>One of the k^2 expansions of a Superposed Decoding step: a draft extended by one token.</summary>
/// <param name="Draft">Index of the draft it extends.</param>
/// <param name="Token">The token appended.</param>
/// <param name="Score">The extended draft's score (log scale; higher is better).</param>
/// <param name="ModelLogProbability">The token's log probability under the model's top-k distribution (for usage reporting).</param>
internal readonly record struct SuperposedCandidate(int Draft, int Token, double Score, double ModelLogProbability);
