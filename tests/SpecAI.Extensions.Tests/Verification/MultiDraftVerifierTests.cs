using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

public class MultiDraftVerifierTests
{
    public static TheoryData<VerifierKind> LosslessKinds => new()
    {
        VerifierKind.KSeq,
        VerifierKind.RecursiveRejection,
        VerifierKind.RecursiveRejectionWithoutReplacement,
        VerifierKind.TopK,
        VerifierKind.GreedyDraft,
    };

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_SparseRandomDistributions_OutputLawEqualsTarget(VerifierKind kind)
    {
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        var rng = new Random(11 + (int)kind);
        for (int trial = 0; trial < 48; trial++)
        {
            int size = 2 + trial % 5;
            int k = 1 + trial / 5 % 4;
            double[] p = Distributions.Random(rng, size, sparse: true);
            double[] q = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            var node = NodeLaw.Of(verifier, verifier.Scheme, p, q, k);
            Distributions.AssertEqual(p, node.Law, 1e-12, $"{kind}, trial {trial}, V={size}, k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_SamplingTransforms_OutputLawEqualsTarget(VerifierKind kind)
    {
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        var rng = new Random(23 + (int)kind);
        SamplingOptions[] transforms =
        [
            new() { Temperature = 0.7 },
            new() { Temperature = 1.3, TopK = 3 },
            new() { TopP = 0.8 },
            new() { Temperature = 0.9, MinP = 0.2 },
        ];
        for (int trial = 0; trial < 32; trial++)
        {
            var options = transforms[trial % transforms.Length];
            int size = 3 + trial % 4;
            int k = 2 + trial % 3;
            double[] p = Distributions.FromLogits(rng, size, options);
            double[] q = Distributions.FromLogits(rng, size, options);
            var node = NodeLaw.Of(verifier, verifier.Scheme, p, q, k);
            Distributions.AssertEqual(p, node.Law, 1e-12, $"{kind}, trial {trial}, V={size}, k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_DeterministicCandidates_OutputLawEqualsTarget(VerifierKind kind)
    {
        // An empty q (prompt lookup, one-hot drafts) is verified by the deterministic rule in every verifier.
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        var rng = new Random(5);
        for (int trial = 0; trial < 30; trial++)
        {
            int size = 2 + trial % 5;
            double[] p = Distributions.Random(rng, size, sparse: true);
            int[] candidates = Enumerable.Range(0, 1 + trial % 3).Select(i => (trial + 2 * i) % size).ToArray();
            var law = new double[size];
            foreach (var (result, probability) in EnumeratingRandomSource.Enumerate(r =>
                         verifier.Verify(new VerificationNode(p, ReadOnlySpan<double>.Empty, candidates, new double[size]), r)))
            {
                law[result.Token] += probability;
            }

            Distributions.AssertEqual(p, law, 1e-12, $"{kind}, trial {trial}");
        }
    }

    [Fact]
    public void KSeq_OneDraft_ReducesToStandard()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 30; trial++)
        {
            int size = 2 + trial % 5;
            double[] p = Distributions.Random(rng, size, sparse: true);
            double[] q = Distributions.Random(rng, size, sparse: true);
            Assert.Equal(1.0, KSeqVerifier.SolveRho(p, q, 1));
            for (int x = 0; x < size; x++)
            {
                Assert.Equal(StandardVerifier.AcceptanceProbability(p, q, x), KSeqVerifier.AcceptanceProbability(p, q, 1.0, x), 15);
            }

            var standard = NodeLaw.Of(StandardVerifier.Instance, DraftScheme.Independent, p, q, 1);
            var kseq = NodeLaw.Of(KSeqVerifier.Instance, DraftScheme.Independent, p, q, 1);
            Assert.Equal(standard.Accepted, kseq.Accepted, 14);
        }
    }

    [Fact]
    public void KSeq_SolveRho_IsSmallestFeasibleScale()
    {
        var rng = new Random(8);
        for (int trial = 0; trial < 50; trial++)
        {
            int size = 2 + trial % 7;
            int k = 2 + trial % 4;
            double[] p = Distributions.Random(rng, size, sparse: trial % 3 == 0);
            double[] q = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            double rho = KSeqVerifier.SolveRho(p, q, k);
            Assert.InRange(rho, 1.0, k);
            double beta = KSeqVerifier.Beta(p, q, rho);
            Assert.True(KSeqVerifier.AnyPasses(beta, k) <= rho * beta * (1 + 1e-15), $"trial {trial}: infeasible rho {rho}");
            if (rho > 1.0)
            {
                double below = rho * (1 - 1e-9);
                double betaBelow = KSeqVerifier.Beta(p, q, below);
                Assert.True(KSeqVerifier.AnyPasses(betaBelow, k) > below * betaBelow, $"trial {trial}: rho {rho} is not the smallest");
            }
        }
    }

    [Fact]
    public void ExactEnumeration_AcceptanceMatchesClosedForms()
    {
        var rng = new Random(19);
        for (int trial = 0; trial < 24; trial++)
        {
            int size = 2 + trial % 5;
            int k = 1 + trial % 4;
            double[] p = Distributions.Random(rng, size, sparse: true);
            double[] q = Distributions.Random(rng, size, sparse: trial % 2 == 1);
            string because = $"trial {trial}, V={size}, k={k}";

            Assert.True(Math.Abs(KSeqVerifier.ExpectedAcceptance(p, q, k) - NodeLaw.Of(KSeqVerifier.Instance, DraftScheme.Independent, p, q, k).Accepted) < 1e-12, because);
            var recursive = NodeLaw.Of(RecursiveRejectionVerifier.Instance, DraftScheme.Independent, p, q, k);
            Assert.True(Math.Abs(RecursiveRejectionVerifier.ExpectedAcceptance(p, q, k, new double[size]) - recursive.Accepted) < 1e-12, because);
            Assert.True(Math.Abs(recursive.Accepted - recursive.Drafted) < 1e-12, because);

            var withoutReplacement = NodeLaw.Of(RecursiveRejectionWithoutReplacementVerifier.Instance, DraftScheme.WithoutReplacement, p, q, k);
            int[] anyCandidates = new int[Math.Min(k, q.Count(x => x > 0))];
            double expected = RecursiveRejectionWithoutReplacementVerifier.ExpectedAcceptance(p, q, anyCandidates);
            Assert.True(Math.Abs(expected - withoutReplacement.Accepted) < 1e-12, $"{because}: {expected} vs {withoutReplacement.Accepted}");

            var greedy = NodeLaw.Of(GreedyDraftVerifier.Instance, DraftScheme.GreedyDraft, p, q, k);
            int[] top = new int[k];
            int drawn = CandidateSampler.TopTokens(q, k - 1, top, new double[size]);
            Assert.True(Math.Abs(GreedyDraftVerifier.ExpectedAcceptance(p, q, top.AsSpan(0, drawn)) - greedy.Accepted) < 1e-12, because);
            Assert.True(Math.Abs(greedy.Accepted - greedy.Drafted) < 1e-12, because);
        }
    }

    [Fact]
    public void TopK_AcceptanceIsTargetMassOfTheCandidates()
    {
        double[] p = [0.1, 0.5, 0.15, 0.25];
        double[] q = [0.4, 0.3, 0.2, 0.1];
        var node = NodeLaw.Of(TopKVerifier.Instance, DraftScheme.TopK, p, q, 2);
        Assert.Equal(0.1 + 0.5, node.Accepted, 14);
        Assert.Equal(0.6, TopKVerifier.AcceptanceProbability(p, [0, 1]), 14);
    }

    [Fact]
    public void WrongCombination_TopKDraftsWithSoftmaxLaw_IsDetectedAsLossy()
    {
        // DESIGN 3.4: deterministic top-k drafts verified as if they were samples from q.
        double[] p = [0.5, 0.3, 0.2];
        double[] q = [0.2, 0.3, 0.5];
        var node = NodeLaw.Of(RecursiveRejectionVerifier.Instance, DraftScheme.TopK, p, q, 2);
        double distance = NodeLaw.TotalVariation(p, node.Law);
        Assert.True(distance > 1e-3, $"total variation {distance}");
    }

    [Fact]
    public void WrongCombination_DistinctDraftsWithReplacementUpdate_IsDetectedAsLossy()
    {
        // DESIGN 3.3: drafts drawn without replacement (deduplicated) but the with-replacement update.
        // (With p = [0.5, 0.3, 0.2], q = [0.2, 0.3, 0.5] the first residual is one-hot and the error vanishes.)
        double[] p = [0.4, 0.4, 0.2];
        double[] q = [0.1, 0.3, 0.6];
        var node = NodeLaw.Of(RecursiveRejectionVerifier.Instance, DraftScheme.WithoutReplacement, p, q, 2);
        double distance = NodeLaw.TotalVariation(p, node.Law);
        Assert.True(distance > 1e-3, $"total variation {distance}");
    }

    [Fact]
    public void Verifiers_EmptyCandidates_DrawBonusFromTarget()
    {
        double[] p = [0.2, 0.3, 0.5];
        foreach (var verifier in new ISpeculativeVerifier[] { KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance, RecursiveRejectionWithoutReplacementVerifier.Instance, TopKVerifier.Instance, GreedyDraftVerifier.Instance })
        {
            var law = new double[3];
            foreach (var (result, probability) in EnumeratingRandomSource.Enumerate(r =>
                         verifier.Verify(new VerificationNode(p, p, ReadOnlySpan<int>.Empty, new double[3]), r)))
            {
                Assert.False(result.IsAccepted);
                law[result.Token] += probability;
            }

            Distributions.AssertEqual(p, law, 1e-15, verifier.Kind.ToString());
        }
    }

    [Fact]
    public void Verifiers_NullRandom_ThrowArgumentNullException()
    {
        double[] p = [0.5, 0.5];
        foreach (var verifier in new ISpeculativeVerifier[] { KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance, RecursiveRejectionWithoutReplacementVerifier.Instance, TopKVerifier.Instance, GreedyDraftVerifier.Instance })
        {
            Assert.Throws<ArgumentNullException>("random", () => verifier.Verify(new VerificationNode(p, p, [0], new double[2]), null!));
        }
    }

    [Theory]
    [InlineData(VerifierKind.KSeq, typeof(KSeqVerifier), DraftScheme.Independent)]
    [InlineData(VerifierKind.RecursiveRejection, typeof(RecursiveRejectionVerifier), DraftScheme.Independent)]
    [InlineData(VerifierKind.RecursiveRejectionWithoutReplacement, typeof(RecursiveRejectionWithoutReplacementVerifier), DraftScheme.WithoutReplacement)]
    [InlineData(VerifierKind.TopK, typeof(TopKVerifier), DraftScheme.TopK)]
    [InlineData(VerifierKind.GreedyDraft, typeof(GreedyDraftVerifier), DraftScheme.GreedyDraft)]
    public void VerifierFactory_Kind_ReturnsVerifierWithItsScheme(VerifierKind kind, Type type, DraftScheme scheme)
    {
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        Assert.IsType(type, verifier);
        Assert.Equal(kind, verifier.Kind);
        Assert.Equal(scheme, verifier.Scheme);
        Assert.True(verifier.IsLossless);
        Assert.IsType<GreedyVerifier>(VerifierFactory.Create(kind, SamplingOptions.Greedy));
    }
}
