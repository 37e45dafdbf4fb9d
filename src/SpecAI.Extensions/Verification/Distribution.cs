using System.Numerics.Tensors;

namespace SpecAI.Extensions.Verification;

/// <summary>Small helpers over probability vectors shared by the verifiers.</summary>
public static class Distribution
{
    /// <summary>Writes <c>max(0, p - scale * q)</c> into <paramref name="destination"/> and returns its mass.</summary>
    /// <param name="p">Target probabilities.</param>
    /// <param name="q">Draft probabilities (same length).</param>
    /// <param name="scale">Multiplier of q.</param>
    /// <param name="destination">Receives the unnormalised residual.</param>
    /// <returns>The residual mass.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static double PositivePart(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double scale, Span<double> destination)
    {
        if (q.Length != p.Length || destination.Length < p.Length)
        {
            throw new ArgumentException($"Distribution lengths differ: p {p.Length}, q {q.Length}, destination {destination.Length}.");
        }

        // destination = q * (-scale) + p, clamped at 0 (the same rounding as p - scale * q), block by block so that
        // each block is written once and summed while in L1.
        double mass = 0;
        for (int start = 0; start < p.Length; start += Block)
        {
            int n = Math.Min(Block, p.Length - start);
            var r = destination.Slice(start, n);
            TensorPrimitives.MultiplyAdd(q.Slice(start, n), -scale, p.Slice(start, n), r);
            TensorPrimitives.Max(r, 0.0, r);
            mass += TensorPrimitives.Sum<double>(r);
        }

        return mass;
    }

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

    /// <summary>Doubles per block of the fused vector loops: 4 KB, small enough to stay in L1 between operations.</summary>
    internal const int Block = 512;
}
