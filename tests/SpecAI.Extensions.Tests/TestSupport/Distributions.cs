using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.TestSupport;

internal static class Distributions
{
    /// <summary>A random distribution over <paramref name="size"/> tokens, some of them zero when <paramref name="sparse"/>.</summary>
    public static double[] Random(Random rng, int size, bool sparse)
    {
        var p = new double[size];
        do
        {
            for (int i = 0; i < size; i++)
            {
                p[i] = sparse && rng.NextDouble() < 0.3 ? 0 : rng.NextDouble() + 1e-3;
            }
        }
        while (p.Sum() == 0);

        double sum = p.Sum();
        for (int i = 0; i < size; i++)
        {
            p[i] /= sum;
        }

        return p;
    }

    /// <summary>Random logits pushed through a processor.</summary>
    public static double[] FromLogits(Random rng, int size, SamplingOptions options, float scale = 3f)
    {
        var logits = new float[size];
        for (int i = 0; i < size; i++)
        {
            logits[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        }

        var p = new double[size];
        new LogitProcessor(options).Process(logits, ReadOnlySpan<int>.Empty, 0, p);
        return p;
    }

    public static void AssertEqual(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance, string because)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(expected[i] - actual[i]) > tolerance)
            {
                Assert.Fail($"{because}: token {i} expected {expected[i]:R} but got {actual[i]:R} (tolerance {tolerance}).");
            }
        }
    }
}
