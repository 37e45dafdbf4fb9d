using System.Numerics.Tensors;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>Small helpers over probability vectors shared by the verifiers.</summary>
internal static class Distribution
{
    /// <summary>Writes <c>max(0, p - scale * q)</c> into <paramref name="destination"/> and returns its mass.</summary>
    /// <param name="p">Target probabilities.</param>
    /// <param name="q">Draft probabilities (same length).</param>
    /// <param name="scale">Multiplier of q.</param>
    /// <param name="destination">Receives the unnormalised residual.</param>
    /// <returns>The residual mass.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static double PositivePart(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double scale, Span<double> destination)
        => PositivePart(p, q, scale, destination, Span<double>.Empty);

    /// <summary>As <see cref="PositivePart(ReadOnlySpan{double}, ReadOnlySpan{double}, double, Span{double})"/>, also writing each block's mass (see <see cref="SampleByBlocks"/>) when <paramref name="blockSums"/> is not empty.</summary>
    internal static double PositivePart(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double scale, Span<double> destination, Span<double> blockSums)
    {
        if (q.Length != p.Length || destination.Length < p.Length)
        {
            throw new ArgumentException($"Distribution lengths differ: p {p.Length}, q {q.Length}, destination {destination.Length}.");
        }

        // destination = q * (-scale) + p, clamped at 0 (the same rounding as p - scale * q), block by block so that
        // each block is written once and summed while in L1.
        double mass = 0;
        for (int start = 0, b = 0; start < p.Length; start += Block, b++)
        {
            int n = Math.Min(Block, p.Length - start);
            var r = destination.Slice(start, n);
            PositivePartBlock(p.Slice(start, n), q.Slice(start, n), scale, r);
            double sum = TensorPrimitives.Sum<double>(r);
            mass += sum;
            if (!blockSums.IsEmpty)
            {
                blockSums[b] = sum;
            }
        }

        return mass;
    }

    /// <summary>
    /// Draws index i with probability <c>max(0, p[i] - scale q[i]) / mass</c> without writing the residual: each block is
    /// formed in an L1 buffer and only its sum kept (one read of p and q, no write of a vocabulary-sized array), a block
    /// is drawn by its sum, and that block is formed again by the same operations (so the same values) for the draw
    /// inside it: the two draws of <see cref="SampleByBlocks"/>, over the same numbers as
    /// <see cref="PositivePart(ReadOnlySpan{double}, ReadOnlySpan{double}, double, Span{double}, Span{double})"/> writes.
    /// </summary>
    /// <returns>The drawn index, or -1 when the residual has no mass (no random number drawn).</returns>
    internal static int SamplePositivePart(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double scale, IRandomSource random)
    {
        if (q.Length != p.Length)
        {
            throw new ArgumentException($"Distribution lengths differ: p {p.Length}, q {q.Length}.");
        }

        int blocks = BlockCount(p.Length);
        Span<double> blockSums = blocks <= 2048 ? stackalloc double[blocks] : new double[blocks];
        Span<double> buffer = stackalloc double[Block];
        double mass = 0;
        for (int start = 0, b = 0; start < p.Length; start += Block, b++)
        {
            int n = Math.Min(Block, p.Length - start);
            var r = buffer[..n];
            PositivePartBlock(p.Slice(start, n), q.Slice(start, n), scale, r);
            blockSums[b] = TensorPrimitives.Sum<double>(r);
            mass += blockSums[b];
        }

        if (!(mass > 0))
        {
            return -1;
        }

        int chosen = random.NextCategorical(blockSums);
        int first = chosen * Block, count = Math.Min(Block, p.Length - first);
        var block = buffer[..count];
        PositivePartBlock(p.Slice(first, count), q.Slice(first, count), scale, block);
        return first + random.NextCategorical(block);
    }

    // One block of max(0, p - scale q): q * (-scale) + p, clamped at 0 (the same rounding as p - scale * q).
    private static void PositivePartBlock(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double scale, Span<double> r)
    {
        TensorPrimitives.MultiplyAdd(q, -scale, p, r);
        TensorPrimitives.Max(r, 0.0, r);
    }

    /// <summary>
    /// Draws index i with probability <c>weights[i] / sum(weights)</c> in two categorical draws, a block of
    /// <see cref="Block"/> entries by its sum and then an index inside it (<c>P = (S_b / S) (w_i / S_b)</c>), so that a
    /// residual whose block sums were taken while writing it is not read again in full.
    /// </summary>
    /// <param name="weights">Non-negative weights.</param>
    /// <param name="blockSums">The sum of each block of <see cref="Block"/> weights (positive total).</param>
    /// <param name="random">The random source.</param>
    /// <returns>The drawn index; never one of zero weight.</returns>
    internal static int SampleByBlocks(ReadOnlySpan<double> weights, ReadOnlySpan<double> blockSums, IRandomSource random)
    {
        int b = random.NextCategorical(blockSums);
        int start = b * Block;
        return start + random.NextCategorical(weights.Slice(start, Math.Min(Block, weights.Length - start)));
    }

    /// <summary>Number of blocks of <see cref="Block"/> entries covering <paramref name="length"/>.</summary>
    internal static int BlockCount(int length) => (length + Block - 1) / Block;

    /// <summary>Index of the most likely token (ties: lowest id).</summary>
    /// <param name="p">Probabilities.</param>
    /// <returns>The index.</returns>
    public static int ArgMax(ReadOnlySpan<double> p) => Sampling.LogitProcessor.IndexOfMax(p);

    /// <summary>Shannon entropy in nats.</summary>
    /// <param name="p">Probabilities.</param>
    /// <returns>The entropy.</returns>
    public static double Entropy(ReadOnlySpan<double> p) => Entropy(p, 1.0);

    /// <summary>Shannon entropy in nats of the distribution <c>p * scale</c> (lazily normalised weights).</summary>
    /// <param name="p">Weights.</param>
    /// <param name="scale">The factor that turns them into probabilities.</param>
    /// <returns>The entropy.</returns>
    public static double Entropy(ReadOnlySpan<double> p, double scale)
    {
        // -sum (s p) log(s p), block by block: log(max(s p, epsilon)) keeps 0 log 0 = 0 and is log(s p) elsewhere.
        Span<double> buffer = stackalloc double[Block];
        double h = 0;
        for (int start = 0; start < p.Length; start += Block)
        {
            int n = Math.Min(Block, p.Length - start);
            var t = buffer[..n];
            var pb = p.Slice(start, n);
            TensorPrimitives.Multiply(pb, scale, t);
            TensorPrimitives.Max(t, double.Epsilon, t);
            TensorPrimitives.Log(t, t);
            h -= scale * TensorPrimitives.Dot(pb, t);
        }

        return h;
    }

    /// <summary>Sum of the probabilities.</summary>
    /// <param name="p">Probabilities.</param>
    /// <returns>The mass.</returns>
    public static double Mass(ReadOnlySpan<double> p) => TensorPrimitives.Sum(p);

    /// <summary>The probabilities <c>weights * scale</c>: the span itself when the scale is 1, else a scaled copy (diagnostics only, not the hot loop).</summary>
    internal static ReadOnlySpan<double> Scaled(ReadOnlySpan<double> weights, double scale)
    {
        if (scale == 1.0 || weights.IsEmpty)
        {
            return weights;
        }

        var probabilities = new double[weights.Length];
        TensorPrimitives.Multiply(weights, scale, probabilities);
        return probabilities;
    }

    /// <summary>Doubles per block of the fused vector loops: 4 KB, small enough to stay in L1 between operations.</summary>
    internal const int Block = 512;
}
