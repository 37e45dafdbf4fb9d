namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>Stable softmax helpers in double for calibration.</summary>
internal static class Softmax
{
    /// <summary>Entropy in nats of softmax(<paramref name="logits"/>); the input is not changed.</summary>
    public static double Entropy(ReadOnlySpan<double> logits)
    {
        double max = double.NegativeInfinity;
        foreach (double x in logits)
        {
            max = Math.Max(max, x);
        }

        double z = 0, weighted = 0;
        foreach (double x in logits)
        {
            double e = Math.Exp(x - max);
            z += e;
            weighted += e * (x - max);
        }

        return Math.Log(z) - (weighted / z);
    }

    /// <summary>Turns logits into probabilities in place.</summary>
    public static void Normalize(Span<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double x in values)
        {
            max = Math.Max(max, x);
        }

        double z = 0;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Math.Exp(values[i] - max);
            z += values[i];
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] /= z;
        }
    }

    /// <summary>Inverse-CDF sample from probabilities given a uniform in [0, 1).</summary>
    public static int Sample(ReadOnlySpan<double> probabilities, double uniform)
    {
        double cumulative = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            cumulative += probabilities[i];
            if (uniform < cumulative)
            {
                return i;
            }
        }

        return probabilities.Length - 1;
    }
}
