using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Engine;

public class SpeculativeEngineExactnessTests
{
    public static TheoryData<int, int, double, int, double> Cases => new()
    {
        // vocabulary, draft length, temperature, top-k, top-p
        { 3, 1, 1.0, 0, 1.0 },
        { 3, 2, 1.0, 0, 1.0 },
        { 4, 3, 1.0, 0, 1.0 },
        { 4, 2, 0.7, 3, 1.0 },
        { 5, 2, 1.2, 0, 0.85 },
        { 6, 3, 1.0, 4, 0.9 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExactEnumeration_DraftModelStandard_SequenceLawEqualsTarget(int vocabulary, int draftLength, double temperature, int topK, double topP)
    {
        var kit = new EngineTestKit(vocabulary);
        var sampling = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP };
        int[] prompt = [0, 1];
        const int length = 3;
        var expected = kit.ExactLaw(prompt, length, sampling);
        var actual = new Dictionary<string, double>();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     kit.Generate(prompt, new GenerationSettings
                     {
                         Sampling = sampling,
                         MaxTokens = length,
                         DraftLength = draftLength,
                         Mode = SpeculationMode.DraftModel,
                         RandomSource = random,
                     })))
        {
            Assert.Equal(length, sequence.Length);
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        Assert.Equal(1.0, actual.Values.Sum(), 12);
        foreach (var (key, probability) in expected)
        {
            Assert.True(Math.Abs(probability - actual.GetValueOrDefault(key)) <= 1e-12, $"sequence {key}: target {probability:R}, engine {actual.GetValueOrDefault(key):R}");
        }

        Assert.All(actual.Keys, k => Assert.True(expected.ContainsKey(k), $"engine produced impossible sequence {k}"));
    }

    [Fact]
    public void ExactEnumeration_WithPenalties_SequenceLawEqualsTarget()
    {
        var kit = new EngineTestKit(4);
        var sampling = new SamplingOptions { RepetitionPenalty = 1.3, FrequencyPenalty = 0.4, PresencePenalty = 0.2 };
        int[] prompt = [2, 2, 1];
        var expected = kit.ExactLaw(prompt, 3, sampling);
        var actual = new Dictionary<string, double>();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     kit.Generate(prompt, new GenerationSettings { Sampling = sampling, MaxTokens = 3, DraftLength = 2, RandomSource = random })))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        foreach (var (key, probability) in expected)
        {
            Assert.True(Math.Abs(probability - actual.GetValueOrDefault(key)) <= 1e-12, $"sequence {key}: target {probability:R}, engine {actual.GetValueOrDefault(key):R}");
        }
    }

    [Fact]
    public void ChiSquare_SeededSampling_MatchesTargetLaw()
    {
        var kit = new EngineTestKit(5, draftNoise: 2.0);
        var sampling = new SamplingOptions { Temperature = 1.0 };
        int[] prompt = [1, 3];
        var expected = kit.ExactLaw(prompt, 2, sampling);
        var keys = expected.Keys.ToList();
        var counts = new long[keys.Count];
        var statistics = new SpeculationStatistics();
        for (int i = 0; i < 20_000; i++)
        {
            var sequence = kit.Generate(prompt, new GenerationSettings { Sampling = sampling, MaxTokens = 2, DraftLength = 3, Seed = 1000 + i }, statistics);
            counts[keys.IndexOf(EngineTestKit.Key(sequence))]++;
        }

        var (statistic, df, pValue) = ChiSquare.Test(counts, keys.Select(k => expected[k]).ToList());
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} degrees of freedom, p = {pValue:G3}");

        // Rejections happened, so rollback was exercised.
        Assert.True(statistics.AcceptedTokens < statistics.DraftedTokens, statistics.ToString());
        Assert.True(statistics.AcceptedTokens > 0, statistics.ToString());
    }

    [Fact]
    public void ChiSquare_DetectsAWrongLaw()
    {
        // The test must be able to fail: the draft's own law is not the target's.
        var kit = new EngineTestKit(5, draftNoise: 2.0);
        var expected = kit.ExactLaw([1, 3], 1, new SamplingOptions());
        var keys = expected.Keys.ToList();
        var draftP = new double[5];
        new LogitProcessor(new SamplingOptions()).Process(kit.DraftLogits([1, 3]), ReadOnlySpan<int>.Empty, 0, draftP);
        var random = new SeededRandomSource(9);
        var counts = new long[keys.Count];
        for (int i = 0; i < 20_000; i++)
        {
            counts[keys.IndexOf(random.NextCategorical(draftP).ToString())]++;
        }

        var test = ChiSquare.Test(counts, keys.Select(k => expected[k]).ToList());
        Assert.True(test.PValue < 1e-6, $"p = {test.PValue}, statistic {test.Statistic}, target [{string.Join(", ", keys.Select(k => expected[k].ToString("F3")))}], draft [{string.Join(", ", draftP.Select(x => x.ToString("F3")))}], keys [{string.Join(",", keys)}]");
    }
}
