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

        // destination = q * (-scale) + p, clamped at 0: the same rounding as p - scale * q.
        var r = destination[..p.Length];
        TensorPrimitives.MultiplyAdd(q, -scale, p, r);
        TensorPrimitives.Max(r, 0.0, r);
        return TensorPrimitives.Sum<double>(r);
    }

    /// <summary>Index of the most likely token (ties: lowest id).</summary>
    /// <param name="p">Probabilities.</param>
    /// <returns>The index.</returns>
    public static int ArgMax(ReadOnlySpan<double> p) => Sampling.LogitProcessor.IndexOfMax(p);

    /// <summary>Shannon entropy in nats.</summary>
    /// <param name="p">Probabilities.</param>
    /// <returns>The entropy.</returns>
    public static double Entropy(ReadOnlySpan<double> p)
    {
        double h = 0;
        foreach (double x in p)
        {
            if (x > 0)
            {
                h -= x * Math.Log(x);
            }
        }

        return h;
    }

    /// <summary>Sum of the probabilities.</summary>
    /// <param name="p">Probabilities.</param>
    /// <returns>The mass.</returns>
    public static double Mass(ReadOnlySpan<double> p) => TensorPrimitives.Sum(p);
}
