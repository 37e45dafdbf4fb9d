using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Sampling;

/// <summary>The vectorised, blocked, sparse processor against the scalar reference, over lengths across block boundaries.</summary>
public class LogitProcessorReferenceTests
{
    public static TheoryData<string> OptionSets => new() { "t1", "t07", "topk5", "topp09", "minp01", "topk40topp08minp005", "penalties", "topk3Penalties", "minp02Penalties", "greedy", "greedyPenalties" };

    private static SamplingOptions Options(string name) => name switch
    {
        "t1" => new SamplingOptions(),
        "t07" => new SamplingOptions { Temperature = 0.7 },
        "topk5" => new SamplingOptions { Temperature = 1.3, TopK = 5 },
        "topp09" => new SamplingOptions { TopP = 0.9 },
        "minp01" => new SamplingOptions { Temperature = 0.9, MinP = 0.1 },
        "topk40topp08minp005" => new SamplingOptions { TopK = 40, TopP = 0.8, MinP = 0.05 },
        "penalties" => new SamplingOptions { RepetitionPenalty = 1.3, FrequencyPenalty = 0.4, PresencePenalty = 0.2, LogitBias = new Dictionary<int, double> { [0] = 2.5, [3] = -1, [700] = 4, [1 << 20] = 9 } },
        "topk3Penalties" => new SamplingOptions { TopK = 3, RepetitionPenalty = 3, LogitBias = new Dictionary<int, double> { [2] = 6, [1500] = 7 } },
        "minp02Penalties" => new SamplingOptions { Temperature = 0.8, MinP = 0.2, FrequencyPenalty = 2, LogitBias = new Dictionary<int, double> { [5] = 3 } },
        "greedy" => SamplingOptions.Greedy,
        "greedyPenalties" => SamplingOptions.Greedy with { RepetitionPenalty = 2, LogitBias = new Dictionary<int, double> { [1] = 0.5 } },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // Two float ulps, relative: the vectorised float exp against MathF.Exp, plus rounding of the double normaliser.
    internal const double FloatExpTolerance = 2.5e-7;

    private static IEnumerable<int> Lengths() => Enumerable.Range(1, 257).Concat([511, 1023, 1024, 1025, 2047, 2049, 5000]);

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Process_SweepLengths_MatchesScalarReference(string name)
    {
        var options = Options(name);
        var rng = new Random(name.Length * 97 + 5);
        foreach (int v in Lengths())
        {
            // Coarse logits at small sizes make exact ties (top-k / top-p boundaries, greedy ties across patches).
            var logits = Enumerable.Range(0, v).Select(_ => (float)(v < 64 ? Math.Round(rng.NextDouble() * 8 - 4) : rng.NextDouble() * 16 - 8)).ToArray();
            int[] history = Enumerable.Range(0, 40).Select(_ => rng.Next(v)).ToArray();
            double[] expected = ScalarSampling.Process(options, logits, history);
            var distribution = new TokenDistribution(v);
            new LogitProcessor(options).Process(logits, history, 0, distribution);
            var actual = new double[v];
            distribution.CopyTo(actual);
            for (int i = 0; i < v; i++)
            {
                // Both sides are the float softmax: a vectorised and a scalar float exp may differ by an ulp (6e-8).
                double tolerance = FloatExpTolerance * expected[i];
                if (Math.Abs(expected[i] - actual[i]) > Math.Max(tolerance, 1e-15 * expected.Max()))
                {
                    Assert.Fail($"{name}, V={v}, token {i}: expected {expected[i]:R}, got {actual[i]:R}");
                }
            }

            // The stored representation: sparse exactly when something was truncated (or one-hot), support ascending.
            if (distribution.IsSparse)
            {
                Assert.True(distribution.Support.ToArray().SequenceEqual(distribution.Support.ToArray().Order().Distinct()));
                Assert.All(distribution.Weights.ToArray(), p => Assert.True(p > 0));
            }
        }
    }

    [Fact]
    public void Process_Truncated_IsSparseOverTheSurvivors_Untruncated_IsDense()
    {
        var logits = Enumerable.Range(0, 3000).Select(i => (float)(-0.01 * i)).ToArray();
        var d = new TokenDistribution(3000);
        new LogitProcessor(new SamplingOptions { TopK = 7 }).Process(logits, [], 0, d);
        Assert.True(d.IsSparse);
        Assert.Equal(Enumerable.Range(0, 7), d.Support.ToArray());
        new LogitProcessor(new SamplingOptions()).Process(logits, [], 0, d);
        Assert.False(d.IsSparse);
        new LogitProcessor(SamplingOptions.Greedy).Process(logits, [], 0, d);
        Assert.Equal([0], d.Support.ToArray());
    }

    [Fact]
    public void Greedy_TiesAcrossPatchedTokens_GoToTheLowestId()
    {
        // Token 5 is raised by a bias to the raw maximum of token 9: the lower id wins.
        float[] logits = [0, 1, 2, 3, 4, 1, 0, 0, 0, 5, 5];
        var d = new TokenDistribution(logits.Length);
        new LogitProcessor(SamplingOptions.Greedy with { LogitBias = new Dictionary<int, double> { [5] = 4 } }).Process(logits, [], 0, d);
        Assert.Equal([5], d.Support.ToArray());

        // The raw maximum is penalised below the runner-up.
        new LogitProcessor(SamplingOptions.Greedy with { RepetitionPenalty = 10 }).Process(logits, [9, 10], 0, d);
        Assert.Equal([4], d.Support.ToArray());
    }

    [Fact]
    public void BadLogits_ThrowArgumentExceptionNamingTheToken()
    {
        var d = new TokenDistribution(3);
        var nan = Assert.Throws<ArgumentException>("logits", () => new LogitProcessor(new SamplingOptions()).Process([0f, float.NaN, 1f], [], 0, d));
        Assert.Contains("token 1", nan.Message);
        var inf = Assert.Throws<ArgumentException>("logits", () => new LogitProcessor(new SamplingOptions()).Process([0f, float.PositiveInfinity, 1f], [], 0, d));
        Assert.Contains("token 1", inf.Message);
        new LogitProcessor(SamplingOptions.Greedy).Process([0f, float.PositiveInfinity, 1f], [], 0, d);
        Assert.Equal([1], d.Support.ToArray());
        Assert.Throws<ArgumentException>("logits", () => new LogitProcessor(new SamplingOptions()).Process([float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], [], 0, d));
        Assert.Throws<ArgumentException>("destination", () => new LogitProcessor(new SamplingOptions()).Process([0f, 1f], [], 0, d));
    }

    [Fact]
    public void Rank_IsTheUntruncatedTemperatureOneSoftmaxOfTheAdjustedLogits()
    {
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 1500).Select(_ => (float)(rng.NextDouble() * 10)).ToArray();
        int[] history = [4, 4, 9];
        var options = SamplingOptions.Greedy with { RepetitionPenalty = 1.5, TopK = 3 };
        var processor = new LogitProcessor(options);
        var d = new TokenDistribution(logits.Length);
        processor.Rank(logits, history, 0, d);
        var adjusted = new double[logits.Length];
        processor.AdjustLogits(logits, history, 0, adjusted);
        LogitProcessor.Softmax(adjusted);
        var actual = new double[logits.Length];
        d.CopyTo(actual);
        for (int i = 0; i < logits.Length; i++)
        {
            // The ranking weights are float exponentials of float-rounded arguments (SoftmaxKernel.ExpInFloat), LogitProcessor.Softmax
            // is in double: they differ by up to |x - max| * 2^-24 relative (the argument's rounding), under 2e-6 for these logits.
            Assert.Equal(adjusted[i], actual[i], 2e-6 * adjusted[i] + 1e-300);
        }
    }
}
