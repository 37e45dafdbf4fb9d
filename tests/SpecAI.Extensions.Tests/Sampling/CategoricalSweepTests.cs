using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Sampling;

/// <summary>The blocked inverse-CDF draw against the scalar one, over lengths across its block boundaries.</summary>
public class CategoricalSweepTests
{
    private static int Reference(double[] weights, double u)
    {
        double total = weights.Sum(), target = u * total, cumulative = 0;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                cumulative += weights[i];
                last = i;
                if (target < cumulative)
                {
                    return i;
                }
            }
        }

        return last;
    }

    [Fact]
    public void Sample_SweepLengths_MatchesScalarInverseCdf()
    {
        var rng = new Random(17);
        foreach (int n in Enumerable.Range(1, 300).Concat([511, 512, 513, 767, 768, 769, 1000, 4096, 10_000]))
        {
            var weights = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.3 ? 0 : rng.NextDouble()).ToArray();
            if (weights.All(w => w == 0))
            {
                weights[rng.Next(n)] = 1;
            }

            double total = weights.Sum();
            for (int trial = 0; trial < 50; trial++)
            {
                double u = trial == 0 ? 0 : trial == 1 ? 1 - 1e-16 : rng.NextDouble();
                int actual = CategoricalSampler.Sample(weights, u);
                Assert.True(weights[actual] > 0, $"n={n}: drew a zero-weight index");
                int expected = Reference(weights, u);
                if (actual != expected)
                {
                    // Only a target within rounding of a cumulative edge may land on the neighbour.
                    double edge = weights.Take(Math.Max(actual, expected)).Sum();
                    Assert.True(Math.Abs(u * total - edge) <= 1e-12 * total, $"n={n}, u={u:R}: {actual} vs reference {expected}");
                }
            }
        }
    }

    [Fact]
    public void Sample_LongInputs_BadWeightsThrowLikeShortOnes()
    {
        var w = Enumerable.Repeat(1.0, 1000).ToArray();
        w[700] = -1;
        Assert.Contains("Weight 700", Assert.Throws<ArgumentException>("weights", () => CategoricalSampler.Sample(w, 0.5)).Message);
        w[700] = double.NaN;
        Assert.Throws<ArgumentException>("weights", () => CategoricalSampler.Sample(w, 0.5));
        w[700] = double.PositiveInfinity;
        Assert.Throws<ArgumentException>("weights", () => CategoricalSampler.Sample(w, 0.5));
        Assert.Throws<ArgumentException>("weights", () => CategoricalSampler.Sample(new double[1000], 0.5));
    }
}
