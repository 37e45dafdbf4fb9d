using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

public class OptimalAcceptanceTests
{
    public static TheoryData<DraftScheme> Schemes => new() { DraftScheme.Independent, DraftScheme.WithoutReplacement, DraftScheme.GreedyDraft };

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Optimal_SmallVocabularies_EqualsSubsetMinimumAndMaxFlow(DraftScheme scheme)
    {
        var rng = new Random(31 + (int)scheme);
        for (int trial = 0; trial < 40; trial++)
        {
            int size = 2 + trial % 7;
            int k = 1 + trial % 4;
            double[] p = Distributions.Random(rng, size, sparse: trial % 3 == 0);
            double[] q = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            var outcomes = DraftSets(scheme, q, k);
            int[] anyCandidates = Candidates(scheme, q, k);
            double scan = OptimalAcceptance.Optimal(scheme, p, q, anyCandidates);
            double subsets = SubsetMinimum(p, outcomes);
            double flow = Coupling(p, outcomes);
            string because = $"{scheme}, trial {trial}, V={size}, k={k}: scan {scan:R}, subsets {subsets:R}, max-flow {flow:R}";
            Assert.True(Math.Abs(scan - subsets) < 1e-12, because);
            Assert.True(Math.Abs(flow - subsets) < 1e-9, because);
        }
    }

    [Fact]
    public void WithReplacement_OneDraft_IsSumOfMinimum()
    {
        var rng = new Random(2);
        for (int trial = 0; trial < 30; trial++)
        {
            double[] p = Distributions.Random(rng, 2 + trial % 6, sparse: true);
            double[] q = Distributions.Random(rng, p.Length, sparse: true);
            Assert.Equal(p.Zip(q, Math.Min).Sum(), OptimalAcceptance.WithReplacement(p, q, 1), 12);
        }
    }

    [Fact]
    public void WithReplacement_TwoDraftsThreeTokens_EqualsMaxFlowAndHandComputedCut()
    {
        // The LP over couplings of (draft set, committed token) is a max-flow problem; its value is the cut below.
        double[] p = [0.5, 0.3, 0.2];
        double[] q = [0.2, 0.3, 0.5];
        double optimum = OptimalAcceptance.WithReplacement(p, q, 2);
        Assert.Equal(Coupling(p, DraftSets(DraftScheme.Independent, q, 2)), optimum, 12);
        Assert.Equal(SubsetMinimum(p, DraftSets(DraftScheme.Independent, q, 2)), optimum, 12);

        // Hand check: G = {2} gives 1 + 0.2 - 0.25 = 0.95; G = {1, 2} gives 1 + 0.5 - 0.64 = 0.86; G = all gives 1.
        Assert.Equal(0.86, optimum, 12);
    }

    [Fact]
    public void WithoutReplacement_ManyDraftsLargeSupport_IsUpperBoundCloseToExact()
    {
        var rng = new Random(4);
        for (int trial = 0; trial < 4; trial++)
        {
            double[] p = Distributions.Random(rng, 10, sparse: false);
            double[] q = Distributions.Random(rng, 10, sparse: false);

            // 10 * 9 * 8 * 7 ordered draws exceed the exact limit: the bound path.
            double bound = OptimalAcceptance.WithoutReplacement(p, q, 4);
            double exact = SubsetMinimum(p, DraftSets(DraftScheme.WithoutReplacement, q, 4));
            Assert.True(bound >= exact - 1e-12, $"bound {bound} below exact {exact}");
            Assert.True(bound - exact < 0.05, $"bound {bound} far from exact {exact}");
        }
    }

    [Fact]
    public void Achieved_LosslessVerifiers_NeverExceedsOptimal_GreedyDraftReachesIt()
    {
        var rng = new Random(6);
        for (int trial = 0; trial < 40; trial++)
        {
            int size = 2 + trial % 6;
            int k = 1 + trial % 4;
            double[] p = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            double[] q = Distributions.Random(rng, size, sparse: trial % 3 == 0);
            foreach (var verifier in new ISpeculativeVerifier[] { KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance, RecursiveRejectionWithoutReplacementVerifier.Instance, GreedyDraftVerifier.Instance })
            {
                int[] candidates = Candidates(verifier.Scheme, q, k);
                double optimal = OptimalAcceptance.Optimal(verifier.Scheme, p, q, candidates);
                double achieved = OptimalAcceptance.Achieved(verifier, p, q, candidates, new double[size]);
                Assert.True(achieved <= optimal + 1e-12, $"{verifier.Kind}, trial {trial}: achieved {achieved} > optimal {optimal}");
                if (verifier.Kind == VerifierKind.GreedyDraft)
                {
                    Assert.Equal(optimal, achieved, 12);
                }
            }
        }
    }

    [Fact]
    public void Optimal_BadArguments_ThrowTypedExceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>("draftCount", () => OptimalAcceptance.WithReplacement([1.0], [1.0], 0));
        Assert.Throws<ArgumentException>("q", () => OptimalAcceptance.WithReplacement([1.0], [0.5, 0.5], 1));
        Assert.Throws<ArgumentOutOfRangeException>("candidates", () => OptimalAcceptance.Optimal(DraftScheme.Independent, [1.0], [1.0], ReadOnlySpan<int>.Empty));
    }

    /// <summary>The law of the set of drafted tokens, by enumerating the sampler itself.</summary>
    private static Dictionary<int, double> DraftSets(DraftScheme scheme, double[] q, int k)
    {
        var sets = new Dictionary<int, double>();
        foreach (var (mask, probability) in EnumeratingRandomSource.Enumerate(random =>
                 {
                     var candidates = new int[k];
                     int drawn = CandidateSampler.Sample(scheme, q, k, random, candidates, new double[q.Length]);
                     return candidates.Take(drawn).Aggregate(0, (m, x) => m | (1 << x));
                 }))
        {
            sets[mask] = sets.GetValueOrDefault(mask) + probability;
        }

        return sets;
    }

    private static int[] Candidates(DraftScheme scheme, double[] q, int k)
    {
        var candidates = new int[k];
        int drawn = CandidateSampler.Sample(scheme, q, k, new SeededRandomSource(1), candidates, new double[q.Length]);
        return candidates[..drawn];
    }

    private static double SubsetMinimum(double[] p, Dictionary<int, double> sets)
    {
        double best = double.PositiveInfinity;
        for (int g = 0; g < 1 << p.Length; g++)
        {
            double pG = Enumerable.Range(0, p.Length).Where(i => (g >> i & 1) == 1).Sum(i => p[i]);
            double allIn = sets.Where(s => (s.Key & ~g) == 0).Sum(s => s.Value);
            best = Math.Min(best, 1 + pG - allIn);
        }

        return best;
    }

    // Max flow source -> draft set (Q) -> its tokens (unbounded) -> sink (p): the best coupling's P(token drafted).
    private static double Coupling(double[] p, Dictionary<int, double> sets)
    {
        var masks = sets.Keys.ToArray();
        int n = 2 + masks.Length + p.Length, source = 0, sink = 1;
        var capacity = new double[n, n];
        for (int s = 0; s < masks.Length; s++)
        {
            capacity[source, 2 + s] = sets[masks[s]];
            for (int x = 0; x < p.Length; x++)
            {
                if ((masks[s] >> x & 1) == 1)
                {
                    capacity[2 + s, 2 + masks.Length + x] = 2.0;
                }
            }
        }

        for (int x = 0; x < p.Length; x++)
        {
            capacity[2 + masks.Length + x, sink] = p[x];
        }

        return MaxFlow.Solve(capacity, source, sink);
    }
}
