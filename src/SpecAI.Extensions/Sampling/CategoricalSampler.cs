namespace SpecAI.Extensions.Sampling;

/// <summary>Inverse-CDF sampling from a categorical distribution, in double precision.</summary>
public static class CategoricalSampler
{
    /// <summary>Returns the index whose cumulative weight interval contains <c>u * sum(weights)</c>.</summary>
    /// <param name="weights">Non-negative weights with a positive, finite sum (need not be normalised).</param>
    /// <param name="uniform">A uniform number in [0, 1).</param>
    /// <returns>The sampled index; an index of zero weight is never returned.</returns>
    /// <exception cref="ArgumentException">The weights are empty, negative, not finite, or sum to zero.</exception>
    public static int Sample(ReadOnlySpan<double> weights, double uniform)
    {
        if (weights.IsEmpty)
        {
            throw new ArgumentException("Cannot sample from an empty distribution.", nameof(weights));
        }

        double total = 0;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            double w = weights[i];
            if (!(w >= 0) || double.IsInfinity(w))
            {
                throw new ArgumentException($"Weight {i} is {w}; weights must be finite and non-negative.", nameof(weights));
            }

            if (w > 0)
            {
                total += w;
                last = i;
            }
        }

        if (last < 0)
        {
            throw new ArgumentException("Cannot sample: every weight is zero.", nameof(weights));
        }

        double target = uniform * total;
        double cumulative = 0;
        for (int i = 0; i <= last; i++)
        {
            double w = weights[i];
            if (w <= 0)
            {
                continue;
            }

            cumulative += w;
            if (target < cumulative)
            {
                return i;
            }
        }

        // Rounding can leave target == total: the last token of positive weight owns that edge.
        return last;
    }
}
