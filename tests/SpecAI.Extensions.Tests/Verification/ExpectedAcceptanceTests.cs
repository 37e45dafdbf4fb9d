using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

/// <summary><see cref="ISpeculativeVerifier.ExpectedAcceptance"/>: each rule's closed form, asked of the verifier itself.</summary>
public class ExpectedAcceptanceTests
{
    [Fact]
    public void ExpectedAcceptance_LosslessVerifiers_EqualTheirClosedForms()
    {
        var rng = new Random(12);
        for (int trial = 0; trial < 30; trial++)
        {
            int size = 3 + trial % 6;
            int k = 1 + trial % 3;
            double[] p = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            double[] q = Distributions.Random(rng, size, sparse: trial % 3 == 0);
            int[] single = Candidates(DraftScheme.Independent, q, 1);
            int[] independent = Candidates(DraftScheme.Independent, q, k);
            int[] withoutReplacement = Candidates(DraftScheme.WithoutReplacement, q, k);
            int[] greedyDraft = Candidates(DraftScheme.GreedyDraft, q, k);
            string because = $"trial {trial}";

            Assert.True(Math.Abs(KSeqVerifier.Beta(p, q, 1.0) - Expected(StandardVerifier.Instance, p, q, single)) < 1e-12, because);
            Assert.True(Math.Abs(KSeqVerifier.ExpectedAcceptance(p, q, k) - Expected(KSeqVerifier.Instance, p, q, independent)) < 1e-12, because);
            Assert.True(Math.Abs(RecursiveRejectionVerifier.ExpectedAcceptance(p, q, k, new double[size]) - Expected(RecursiveRejectionVerifier.Instance, p, q, independent)) < 1e-12, because);
            Assert.True(Math.Abs(RecursiveRejectionWithoutReplacementVerifier.ExpectedAcceptance(p, q, withoutReplacement) - Expected(RecursiveRejectionWithoutReplacementVerifier.Instance, p, q, withoutReplacement)) < 1e-12, because);
            Assert.True(Math.Abs(GreedyDraftVerifier.ExpectedAcceptance(p, q, greedyDraft[..^1]) - Expected(GreedyDraftVerifier.Instance, p, q, greedyDraft)) < 1e-12, because);
            Assert.True(Math.Abs(TopKVerifier.AcceptanceProbability(p, independent) - Expected(TopKVerifier.Instance, p, q, independent)) < 1e-12, because);
        }
    }

    [Fact]
    public void ExpectedAcceptance_LazilyNormalisedWeights_EqualsNormalisedValue()
    {
        var rng = new Random(13);
        double[] p = Distributions.Random(rng, 6, sparse: false);
        double[] q = Distributions.Random(rng, 6, sparse: false);
        int[] candidates = Candidates(DraftScheme.Independent, q, 2);
        double[] pWeights = p.Select(x => x * 1e7).ToArray(), qWeights = q.Select(x => x * 3e-5).ToArray();
        foreach (var verifier in new ISpeculativeVerifier[] { KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance, TopKVerifier.Instance })
        {
            var scaled = new VerificationNode(pWeights, qWeights, candidates, new double[6]) { TargetScale = 1e-7, DraftScale = 1 / 3e-5 };
            Assert.Equal(Expected(verifier, p, q, candidates), verifier.ExpectedAcceptance(scaled), 12);
        }
    }

    [Fact]
    public void ExpectedAcceptance_DeterministicOrMissingCandidates_TopKRuleOrNaN()
    {
        double[] p = [0.5, 0.3, 0.2];
        Assert.Equal(0.3, StandardVerifier.Instance.ExpectedAcceptance(new VerificationNode(p, ReadOnlySpan<double>.Empty, [1], new double[3])), 12);
        Assert.Equal(0.8, KSeqVerifier.Instance.ExpectedAcceptance(new VerificationNode(p, ReadOnlySpan<double>.Empty, [1, 0], new double[3])), 12);
        Assert.True(double.IsNaN(KSeqVerifier.Instance.ExpectedAcceptance(new VerificationNode(p, p, ReadOnlySpan<int>.Empty, new double[3]))));
    }

    [Fact]
    public void ExpectedAcceptance_GreedyVerifier_IsWhetherTheArgMaxWasDrafted()
    {
        double[] p = [0.2, 0.7, 0.1], q = [0.6, 0.3, 0.1];
        Assert.Equal(1.0, Expected(GreedyVerifier.Instance, p, q, [0, 1]));
        Assert.Equal(0.0, Expected(GreedyVerifier.Instance, p, q, [0, 2]));
    }

    [Fact]
    public void ExpectedAcceptance_LossyOrForeignVerifiers_NaN()
    {
        double[] p = [0.5, 0.5], q = [0.25, 0.75];
        Assert.True(double.IsNaN(Expected(new TypicalVerifier(), p, q, [0])));
        Assert.True(double.IsNaN(Expected(new JudgeVerifier(0.5), p, q, [0])));
        Assert.Equal(0.75, Expected(new JudgeVerifier(1.0), p, q, [0]), 12);

        // A verifier written outside the library compiles without the member and answers "not known".
        ISpeculativeVerifier foreign = new ForeignVerifier();
        Assert.True(double.IsNaN(Expected(foreign, p, q, [0])));
        Assert.True(double.IsNaN(OptimalAcceptance.Achieved(foreign, p, q, [0], new double[2])));
        Assert.True(double.IsNaN(OptimalAcceptance.Achieved(new TypicalVerifier(), p, q, [0], new double[2])));
    }

    private static double Expected(ISpeculativeVerifier verifier, double[] p, double[] q, int[] candidates)
        => verifier.ExpectedAcceptance(new VerificationNode(p, q, candidates, new double[p.Length]));

    private static int[] Candidates(DraftScheme scheme, double[] q, int k)
    {
        var candidates = new int[k];
        int drawn = CandidateSampler.Sample(scheme, q, k, new SeededRandomSource(3), candidates, new double[q.Length]);
        return candidates[..drawn];
    }

    private sealed class ForeignVerifier : ISpeculativeVerifier
    {
        public VerifierKind Kind => VerifierKind.Standard;

        public bool IsLossless => true;

        public DraftScheme Scheme => DraftScheme.Independent;

        public VerificationResult Verify(in VerificationNode node, IRandomSource random) => VerificationResult.Recovered(0);
    }
}
