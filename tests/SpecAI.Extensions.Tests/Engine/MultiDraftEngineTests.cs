using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using Xunit.Abstractions;

namespace SpecAI.Extensions.Tests.Engine;

public class MultiDraftEngineTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(VerifierKind.KSeq)]
    [InlineData(VerifierKind.RecursiveRejectionWithoutReplacement)]
    public void ChiSquare_MultiDraftThroughEngine_MatchesTargetLaw(VerifierKind kind)
    {
        var kit = new EngineTestKit(4, draftNoise: 2.0);
        var sampling = new SamplingOptions { Temperature = 1.0 };
        int[] prompt = [1, 3];
        var expected = kit.ExactLaw(prompt, 2, sampling);
        var keys = expected.Keys.ToList();
        var counts = new long[keys.Count];
        var statistics = new SpeculationStatistics();
        var settings = new GenerationSettings { Sampling = sampling, MaxTokens = 2, DraftLength = 2, DraftCount = 3, Mode = SpeculationMode.MultiDraft, Verifier = kind, MeasureOptimalAcceptance = false };
        for (int i = 0; i < 20_000; i++)
        {
            var sequence = kit.Generate(prompt, settings with { Seed = 7000 + i }, statistics);
            counts[keys.IndexOf(EngineTestKit.Key(sequence))]++;
        }

        var (statistic, df, pValue) = ChiSquare.Test(counts, keys.Select(k => expected[k]).ToList());
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} degrees of freedom, p = {pValue:G3}");
        Assert.True(statistics.AcceptedTokens > 0 && statistics.AcceptedTokens < statistics.DraftedTokens, statistics.ToString());
    }

    [Theory]
    [InlineData(VerifierKind.KSeq)]
    [InlineData(VerifierKind.RecursiveRejection)]
    [InlineData(VerifierKind.RecursiveRejectionWithoutReplacement)]
    [InlineData(VerifierKind.GreedyDraft)]
    public void MultiDraft_MeasureOptimalAcceptance_RecordsAchievedNotAboveOptimal(VerifierKind kind)
    {
        var kit = new EngineTestKit(16, draftNoise: 1.5);
        var statistics = new SpeculationStatistics();
        kit.Generate([1, 2, 3], new GenerationSettings { Seed = 3, MaxTokens = 60, DraftLength = 3, DraftCount = 3, Mode = SpeculationMode.MultiDraft, Verifier = kind, MeasureOptimalAcceptance = true }, statistics);
        Assert.False(double.IsNaN(statistics.OptimalAcceptance), statistics.ToString());
        Assert.InRange(statistics.AchievedAcceptance, 0.0, statistics.OptimalAcceptance + 1e-12);
        if (kind == VerifierKind.GreedyDraft)
        {
            Assert.Equal(statistics.OptimalAcceptance, statistics.AchievedAcceptance, 12);
        }

        output.WriteLine($"{kind}: optimal {statistics.OptimalAcceptance:F4}, achieved {statistics.AchievedAcceptance:F4}");
    }

    [Theory]
    [InlineData(SpeculationMode.DraftModel)]
    [InlineData(SpeculationMode.MultiDraft)]
    public void DefaultSettings_DoNotMeasureOptimalAcceptance(SpeculationMode mode)
    {
        // The diagnostic is opt-in (it sorts the support at every node); it must not slow verification by default.
        var kit = new EngineTestKit(8);
        var statistics = new SpeculationStatistics();
        kit.Generate([1, 2], new GenerationSettings { Seed = 1, MaxTokens = 10, Mode = mode, DraftCount = 2, Verifier = VerifierKind.KSeq }, statistics);
        Assert.True(double.IsNaN(statistics.OptimalAcceptance));
    }

    [Fact]
    public void Greedy_MultiDraft_RanksRealAlternativesAndMatchesPlainDecoding()
    {
        int[] prompt = [3, 1, 4];
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 60, DraftLength = 2, Mode = SpeculationMode.MultiDraft };
        var plain = new EngineTestKit(16, draftNoise: 2.5).Generate(prompt, settings with { Mode = SpeculationMode.None });
        var single = new SpeculationStatistics();
        var multi = new SpeculationStatistics();
        Assert.Equal(plain, new EngineTestKit(16, draftNoise: 2.5).Generate(prompt, settings with { DraftCount = 1 }, single));
        Assert.Equal(plain, new EngineTestKit(16, draftNoise: 2.5).Generate(prompt, settings with { DraftCount = 3 }, multi));

        // Three distinct first tokens, each continued: 6 drafted nodes per full step (not 2, as with one-hot q).
        Assert.True(multi.DraftedTokens >= 5 * (multi.TargetCalls - 1), multi.ToString());
        Assert.True(multi.TokensPerTargetCall >= single.TokensPerTargetCall, $"k=3 {multi.TokensPerTargetCall:F3} vs k=1 {single.TokensPerTargetCall:F3}");
        output.WriteLine($"T=0 tokens per target call: k=1 {single.TokensPerTargetCall:F3}, k=3 {multi.TokensPerTargetCall:F3}");
    }

    [Fact]
    public void TokensPerTargetCall_KSeqFourDrafts_AtLeastOneDraft()
    {
        // Measured on the fake kit at T = 1 (V = 16, draft = target + noise 1.5, L = 4), 40 seeds x 48 tokens.
        var results = new Dictionary<(VerifierKind, int), double>();
        foreach (var kind in new[] { VerifierKind.KSeq, VerifierKind.RecursiveRejection, VerifierKind.RecursiveRejectionWithoutReplacement, VerifierKind.GreedyDraft, VerifierKind.TopK })
        {
            foreach (int k in new[] { 1, 2, 4 })
            {
                var statistics = new SpeculationStatistics();
                var kit = new EngineTestKit(16, draftNoise: 1.5);
                for (int seed = 0; seed < 40; seed++)
                {
                    kit.Generate([seed % 16, 5], new GenerationSettings { Seed = seed, MaxTokens = 48, DraftLength = 4, DraftCount = k, Mode = SpeculationMode.MultiDraft, Verifier = kind }, statistics);
                }

                results[(kind, k)] = statistics.TokensPerTargetCall;
                output.WriteLine($"{kind,-40} k={k}: {statistics.TokensPerTargetCall:F3} tokens/target call, acceptance optimal {statistics.OptimalAcceptance:F3} achieved {statistics.AchievedAcceptance:F3}");
            }
        }

        Assert.True(results[(VerifierKind.KSeq, 4)] >= results[(VerifierKind.KSeq, 1)] - 0.05, $"k=4 {results[(VerifierKind.KSeq, 4)]:F3} vs k=1 {results[(VerifierKind.KSeq, 1)]:F3}");
    }
}
