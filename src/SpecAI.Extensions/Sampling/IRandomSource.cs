namespace SpecAI.Extensions.Sampling;

/// <summary>
/// The only source of randomness for drafting and verification.
/// </summary>
/// <remarks>
/// Verifiers and draft schemes ask for a biased coin or a categorical draw instead of raw uniforms, so
/// that tests can run the very same code under an enumerating source that follows every branch with
/// its exact probability (exact-enumeration proofs of losslessness).
/// </remarks>
public interface IRandomSource
{
    /// <summary>Returns <see langword="true"/> with probability <paramref name="probability"/> (clamped to [0, 1]).</summary>
    /// <param name="probability">The probability of <see langword="true"/>.</param>
    bool NextBernoulli(double probability);

    /// <summary>Draws an index with probability proportional to <paramref name="weights"/>.</summary>
    /// <param name="weights">Non-negative, finite weights with a positive sum; need not be normalised.</param>
    /// <returns>The drawn index; never an index whose weight is zero.</returns>
    int NextCategorical(ReadOnlySpan<double> weights);
}
