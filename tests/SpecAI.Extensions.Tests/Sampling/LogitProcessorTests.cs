using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Sampling;

public class LogitProcessorTests
{
    private static double[] Process(SamplingOptions options, float[] logits, int[]? history = null)
    {
        var p = new double[logits.Length];
        new LogitProcessor(options).Process(logits, history ?? [], 0, p);
        return p;
    }

    [Fact]
    public void Temperature1_IsStableFloatSoftmaxNormalisedInDouble()
    {
        // Shifted by the maximum first (no overflow at 1000); float exponentials, their sum and the probabilities in double.
        var p = Process(new SamplingOptions(), [1000f, 1001f, 999f]);
        double z = (double)MathF.Exp(-1f) + 1 + (double)MathF.Exp(-2f);
        Assert.Equal(MathF.Exp(-1f) / z, p[0], 1e-7 / z);
        Assert.Equal(1 / z, p[1], 1e-7 / z);
        Assert.Equal(1.0, p.Sum(), 14);
    }

    [Fact]
    public void Greedy_IsOneHotOnLowestIndexOfMaximum()
    {
        Assert.Equal([0.0, 1.0, 0.0, 0.0], Process(SamplingOptions.Greedy, [1f, 3f, 3f, 2f]));
    }

    [Fact]
    public void Greedy_OverALargeVocabulary_TakesTheLowestIndexOfTheMaximumAndNamesANaN()
    {
        // The maximum is found by a vectorised max and then its first occurrence; ties across vector lanes and blocks.
        var logits = Enumerable.Range(0, 5000).Select(i => (float)Math.Sin(i)).ToArray();
        logits[3001] = 7f;
        logits[4000] = 7f;
        Assert.Equal(1.0, Process(SamplingOptions.Greedy, logits)[3001]);
        logits[17] = 7f;
        Assert.Equal(1.0, Process(SamplingOptions.Greedy, logits)[17]);
        logits[2500] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => Process(SamplingOptions.Greedy, logits));
        Assert.Contains("2500", error.Message);
        Assert.Throws<ArgumentException>(() => Process(new SamplingOptions(), logits));
    }

    [Fact]
    public void TopK_KeepsKMostLikelyAndRenormalises()
    {
        var p = Process(new SamplingOptions { TopK = 2 }, [0f, 2f, 1f, -1f]);
        Assert.Equal(0, p[0]);
        Assert.Equal(0, p[3]);
        Assert.Equal(Math.E / (Math.E + 1), p[1], 1e-7);
    }

    [Fact]
    public void TopP_KeepsSmallestPrefixReachingMass()
    {
        float[] logits = [(float)Math.Log(0.5), (float)Math.Log(0.3), (float)Math.Log(0.15), (float)Math.Log(0.05)];
        var p = Process(new SamplingOptions { TopP = 0.79 }, logits);
        Assert.Equal(0.5 / 0.8, p[0], 6);
        Assert.Equal(0.3 / 0.8, p[1], 6);
        Assert.Equal(0, p[2]);
        Assert.Equal(0, p[3]);
        var q = Process(new SamplingOptions { TopP = 0.81 }, logits);
        Assert.Equal(0.15 / 0.95, q[2], 6);
    }

    [Fact]
    public void MinP_DropsTokensBelowFractionOfMax()
    {
        float[] logits = [(float)Math.Log(0.6), (float)Math.Log(0.3), (float)Math.Log(0.1)];
        var p = Process(new SamplingOptions { MinP = 0.2 }, logits);
        Assert.Equal(0, p[2]);
        Assert.Equal(2.0 / 3, p[0], 6);
    }

    [Fact]
    public void Penalties_FollowCtrlAndOpenAiSemantics()
    {
        var options = new SamplingOptions { Temperature = 1, RepetitionPenalty = 2, FrequencyPenalty = 0.5, PresencePenalty = 0.25, PenaltyWindow = 3 };
        var p = Process(options, [2f, -2f, 1f, 0f], history: [0, 3, 0, 1, 1]);

        // Window [0, 1, 1]: token 0: 2/2 - 0.5 - 0.25; token 1: -2*2 - 1.0 - 0.25; token 3 is outside the window.
        double[] expected = [0.25, -5.25, 1, 0];
        double z = expected.Sum(Math.Exp);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(Math.Exp(expected[i]) / z, p[i], 1e-7);
        }
    }

    [Fact]
    public void LogitBias_IsAddedFirst()
    {
        var p = Process(new SamplingOptions { Temperature = 0, LogitBias = new Dictionary<int, double> { [2] = 10 } }, [5f, 4f, 0f]);
        Assert.Equal(1.0, p[2]);
    }

    [Theory]
    [InlineData(-0.1, 0, 1.0, "Temperature")]
    [InlineData(1, -1, 1.0, "TopK")]
    [InlineData(1, 0, 0.0, "TopP")]
    [InlineData(1, 0, 1.5, "TopP")]
    public void Validate_OutOfRange_ThrowsWithParameterName(double temperature, int topK, double topP, string parameter)
    {
        Assert.Throws<ArgumentOutOfRangeException>(parameter, () => new LogitProcessor(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }));
    }

    [Fact]
    public void Process_AllTokensForbidden_Throws()
    {
        Assert.Throws<ArgumentException>(() => Process(new SamplingOptions(), [float.NegativeInfinity, float.NegativeInfinity]));
    }

    [Theory]
    [InlineData(0, 0.9)]
    [InlineData(5, 1.0)]
    [InlineData(40, 0.95)]
    [InlineData(0, 0.5)]
    [InlineData(3, 0.3)]
    public void TopKTopP_MatchFullSortReference_IncludingTies(int topK, double topP)
    {
        var rng = new Random(topK * 31 + (int)(topP * 100));
        for (int trial = 0; trial < 40; trial++)
        {
            int size = 1 + rng.Next(300);
            // Coarse logits make many exact ties.
            var logits = Enumerable.Range(0, size).Select(_ => (float)Math.Round(rng.NextDouble() * 8 - 4, trial % 2 == 0 ? 0 : 3)).ToArray();
            var options = new SamplingOptions { TopK = topK, TopP = topP };
            var actual = Process(options, logits);

            var softmax = Process(new SamplingOptions(), logits);
            var order = Enumerable.Range(0, size).OrderByDescending(i => softmax[i]).ThenBy(i => i).ToArray();
            int keep = topK > 0 && topK < size ? topK : size;
            double cumulative = 0;
            for (int i = 0; i < keep && topP < 1; i++)
            {
                cumulative += softmax[order[i]];
                if (cumulative >= topP)
                {
                    keep = i + 1;
                    break;
                }
            }

            var expected = new double[size];
            foreach (int i in order.Take(keep))
            {
                expected[i] = softmax[i];
            }

            double sum = expected.Sum();
            for (int i = 0; i < size; i++)
            {
                // Both float softmax laws; the top-k path exponentiates fewer tokens (a float exp may differ by an ulp).
                Assert.Equal(expected[i] / sum, actual[i], 2.5e-7 * expected[i] / sum + 1e-15);
            }
        }
    }
}
