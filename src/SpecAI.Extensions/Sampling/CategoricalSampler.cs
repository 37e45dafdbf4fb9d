using System.Numerics.Tensors;

namespace SpecAI.Extensions.Sampling;

/// <summary>Inverse-CDF sampling from a categorical distribution, in double precision.</summary>
/// <remarks>
/// Long inputs are read once, block by block: TensorPrimitives checks and sums each block while it is in L1;
/// the target <c>u * sum</c> is then located among the block sums and only that block is scanned element by
/// element. The result is the index whose cumulative interval contains the target, up to the rounding of the
/// sums (a target within rounding of an edge may go to the neighbour; a zero weight is never drawn).
/// </remarks>
internal static class CategoricalSampler
{
    private const int Block = 512;

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

        // One pass over memory: each block's minimum (validation) and sum, taken while the block sits in L1.
        int blocks = (weights.Length + Block - 1) / Block;
        Span<double> sums = blocks <= 2048 ? stackalloc double[blocks] : new double[blocks];
        double total = 0;
        bool valid = true;
        for (int b = 0; b < blocks; b++)
        {
            var block = weights.Slice(b * Block, Math.Min(Block, weights.Length - b * Block));
            valid &= TensorPrimitives.Min(block) >= 0;
            sums[b] = TensorPrimitives.Sum(block);
            total += sums[b];
        }

        if (!valid || !double.IsFinite(total))
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
        for (int b = 0; b < blocks; b++)
        {
            if (cumulative + sums[b] <= target)
            {
                cumulative += sums[b];
                continue;
            }

            int start = b * Block;
            var block = weights.Slice(start, Math.Min(Block, weights.Length - start));
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
