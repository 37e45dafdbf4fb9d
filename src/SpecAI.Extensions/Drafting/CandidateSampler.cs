using System.Numerics.Tensors;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>Draws the candidate tokens at one draft-tree node from the draft distribution q, per <see cref="DraftScheme"/>.</summary>
internal static class CandidateSampler
{
    /// <summary>Draws up to <paramref name="count"/> candidate token ids from a dense or sparse distribution.</summary>
    /// <param name="scheme">How to draw.</param>
    /// <param name="q">Draft distribution at the node; the verifier must later see this very distribution.</param>
    /// <param name="count">Number of drafts alive at the node.</param>
    /// <param name="random">Random source (unused by <see cref="DraftScheme.TopK"/>).</param>
    /// <param name="destination">Receives the candidate token ids in drafting order.</param>
    /// <param name="scratch">A buffer of at least <see cref="TokenDistribution.Count"/> entries.</param>
    /// <returns>How many candidates were written (see the span overload).</returns>
    /// <remarks>The draw runs over the distribution's weights (the support when sparse; every scheme is invariant to their scale) and maps positions to ids, so a sparse q costs only its support.</remarks>
    public static int Sample(DraftScheme scheme, TokenDistribution q, int count, IRandomSource random, Span<int> destination, Span<double> scratch)
    {
        ArgumentNullException.ThrowIfNull(q);
        int drawn = Sample(scheme, q.Weights, count, random, destination, scratch);
        if (q.IsSparse)
        {
            for (int i = 0; i < drawn; i++)
            {
                destination[i] = q.TokenAt(destination[i]);
            }
        }

        return drawn;
    }

    /// <summary>Draws up to <paramref name="count"/> candidates.</summary>
    /// <param name="scheme">How to draw.</param>
    /// <param name="q">Draft distribution at the node.</param>
    /// <param name="count">Number of drafts alive at the node.</param>
    /// <param name="random">Random source (unused by <see cref="DraftScheme.TopK"/>).</param>
    /// <param name="destination">Receives the candidates in drafting order.</param>
    /// <param name="scratch">A buffer of q's length.</param>
    /// <returns>How many candidates were written: <paramref name="count"/>, or fewer when q has fewer tokens of positive mass and the scheme draws distinct tokens.</returns>
    public static int Sample(DraftScheme scheme, ReadOnlySpan<double> q, int count, IRandomSource random, Span<int> destination, Span<double> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        switch (scheme)
        {
            case DraftScheme.Independent:
                for (int i = 0; i < count; i++)
                {
                    destination[i] = random.NextCategorical(q);
                }

                return count;

            case DraftScheme.WithoutReplacement:
            {
                Span<double> remaining = scratch[..q.Length];
                q.CopyTo(remaining);
                int drawn = 0;
                while (drawn < count && HasMass(remaining))
                {
                    int x = random.NextCategorical(remaining);
                    destination[drawn++] = x;
                    remaining[x] = 0;
                }

                return drawn;
            }

            case DraftScheme.TopK:
                return TopTokens(q, count, destination, scratch);

            case DraftScheme.GreedyDraft:
            {
                int top = TopTokens(q, count - 1, destination, scratch);
                Span<double> rest = scratch[..q.Length];
                q.CopyTo(rest);
                for (int i = 0; i < top; i++)
                {
                    rest[destination[i]] = 0;
                }

                if (HasMass(rest))
                {
                    destination[top++] = random.NextCategorical(rest);
                }

                return top;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown draft scheme.");
        }
    }

    /// <summary>Writes the <paramref name="count"/> most likely tokens of positive mass (ties: lowest id), most likely first.</summary>
    /// <param name="q">Distribution.</param>
    /// <param name="count">How many.</param>
    /// <param name="destination">Receives the tokens.</param>
    /// <param name="scratch">A buffer of q's length.</param>
    /// <returns>How many were written.</returns>
    public static int TopTokens(ReadOnlySpan<double> q, int count, Span<int> destination, Span<double> scratch)
    {
        if (count <= 0 || q.IsEmpty)
        {
            return 0;
        }

        // One vectorised arg-max per token (TensorPrimitives.IndexOfMax returns the first of equal maxima).
        Span<double> values = scratch[..q.Length];
        q.CopyTo(values);
        int written = 0;
        while (written < count)
        {
            int best = TensorPrimitives.IndexOfMax<double>(values);
            if (!(values[best] > 0))
            {
                break;
            }

            destination[written++] = best;
            values[best] = 0;
        }

        return written;
    }

    private static bool HasMass(ReadOnlySpan<double> weights) => !weights.IsEmpty && TensorPrimitives.Max(weights) > 0;
}
