using System.Numerics.Tensors;

namespace SpecAI.Extensions.Sampling;

/// <summary>Inverse-CDF sampling from a categorical distribution, in double precision.</summary>
/// <remarks>
/// Long inputs are checked and summed with TensorPrimitives, and the cumulative sum is walked a block at a
/// time (a block's sum decides whether the target lies inside it; only that block is scanned element by
/// element), so a draw over a large vocabulary reads it about twice instead of twice element by element. The
/// result is the index whose cumulative interval contains <c>u * sum</c>, up to the rounding of the sums.
/// </remarks>
public static class CategoricalSampler
{
    private const int Block = 256;

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

        if (weights.Length <= Block)
        {
            return SampleScalar(weights, uniform);
        }

        double total = TensorPrimitives.Sum(weights);
        if (!(TensorPrimitives.Min(weights) >= 0) || !double.IsFinite(total))
        {
            // Name the offending weight (or report an overflowing sum).
            return SampleScalar(weights, uniform);
        }

        if (total <= 0)
        {
            throw new ArgumentException("Cannot sample: every weight is zero.", nameof(weights));
        }

        double target = uniform * total;
        double cumulative = 0;
        for (int start = 0; start < weights.Length; start += Block)
        {
            var block = weights.Slice(start, Math.Min(Block, weights.Length - start));
            double sum = TensorPrimitives.Sum(block);
            if (cumulative + sum <= target)
            {
                cumulative += sum;
                continue;
            }

            for (int i = 0; i < block.Length; i++)
            {
                double w = block[i];
                if (w > 0)
                {
                    cumulative += w;
                    if (target < cumulative)
                    {
                        return start + i;
                    }
                }
            }
        }

        // Rounding can leave target at or past the last cumulative edge: the last token of positive weight owns it.
        for (int i = weights.Length - 1; ; i--)
        {
            if (weights[i] > 0)
            {
                return i;
            }
        }
    }

    private static int SampleScalar(ReadOnlySpan<double> weights, double uniform)
    {
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

        if (double.IsInfinity(total))
        {
            throw new ArgumentException("Cannot sample: the weights sum to infinity.", nameof(weights));
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
