using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

/// <summary>
/// Exact enumeration through <see cref="NodeVerifier"/>: p and q as sparse or dense <see cref="TokenDistribution"/>s
/// (truncated supports, disjoint supports, mixed representations), candidates drawn from q's representation, and
/// the verifier run over the union layout; the committed token's law must equal p to 1e-12.
/// </summary>
public class NodeVerifierTests
{
    public static TheoryData<VerifierKind> LosslessKinds => new()
    {
        VerifierKind.Standard,
        VerifierKind.KSeq,
        VerifierKind.RecursiveRejection,
        VerifierKind.RecursiveRejectionWithoutReplacement,
        VerifierKind.TopK,
        VerifierKind.GreedyDraft,
    };

    private static readonly SamplingOptions[] Transforms =
    [
        new() { Temperature = 0.8, TopK = 3 },
        new() { TopP = 0.7 },
        new() { Temperature = 1.2, MinP = 0.25 },
        new(),
    ];

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_SparseAndMixedDistributions_OutputLawEqualsTarget(VerifierKind kind)
    {
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        var rng = new Random(31 + (int)kind);
        for (int trial = 0; trial < 40; trial++)
        {
            int size = 3 + trial % 5;
            int k = kind == VerifierKind.Standard ? 1 : 1 + trial % 3;
            var target = FromLogits(rng, size, Transforms[trial % Transforms.Length]);
            var draft = FromLogits(rng, size, Transforms[(trial / 4) % Transforms.Length]);
            AssertLawEqualsTarget(verifier, target, draft, k, $"{kind}, trial {trial}, V={size}, k={k}, p sparse {target.IsSparse}, q sparse {draft.IsSparse}");
        }
    }

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_DisjointSupports_OutputLawEqualsTarget(VerifierKind kind)
    {
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        var target = new TokenDistribution(9);
        target.SetSparse([1, 4, 8], [0.5, 0.3, 0.2]);
        var draft = new TokenDistribution(9);
        draft.SetSparse([0, 2, 4, 6], [0.4, 0.3, 0.2, 0.1]);
        int k = kind == VerifierKind.Standard ? 1 : 3;
        AssertLawEqualsTarget(verifier, target, draft, k, $"{kind}, overlapping in one token");
        draft.SetSparse([0, 2], [0.6, 0.4]);
        AssertLawEqualsTarget(verifier, target, draft, k, $"{kind}, disjoint");
    }

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_DeterministicCandidatesOutsideTheSupport_OutputLawEqualsTarget(VerifierKind kind)
    {
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        var target = new TokenDistribution(12);
        target.SetSparse([2, 3, 11], [0.2, 0.5, 0.3]);
        foreach (int[] candidates in new[] { new[] { 3 }, [7, 3], [7, 7, 11], [0, 5] })
        {
            if (kind == VerifierKind.Standard && candidates.Length > 1)
            {
                continue;
            }

            var law = new double[12];
            var nodes = new NodeVerifier(12);
            foreach (var (result, probability) in EnumeratingRandomSource.Enumerate(r => nodes.Verify(verifier, target, null, candidates, r)))
            {
                law[result.Token] += probability;
            }

            Distributions.AssertEqual(Dense(target), law, 1e-12, $"{kind}, candidates [{string.Join(",", candidates)}]");
        }
    }

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_LazilyNormalisedWeights_OutputLawEqualsTarget(VerifierKind kind)
    {
        // p = Target * TargetScale and q = Draft * DraftScale with scales far from 1: every rule must apply them.
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        var rng = new Random(77 + (int)kind);
        for (int trial = 0; trial < 24; trial++)
        {
            int size = 2 + trial % 5;
            int k = kind == VerifierKind.Standard ? 1 : 1 + trial % 3;
            double[] p = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            double[] q = Distributions.Random(rng, size, sparse: trial % 3 == 0);
            double sp = 0.25 + trial, sq = 3.0 / (1 + trial % 4);
            double[] target = p.Select(x => x / sp).ToArray(), draft = q.Select(x => x / sq).ToArray();
            var law = new double[size];
            foreach (var (token, probability) in EnumeratingRandomSource.Enumerate(random =>
                     {
                         var candidates = new int[k];
                         int drawn = CandidateSampler.Sample(verifier.Scheme, draft, k, random, candidates, new double[size]);
                         bool deterministic = verifier.Scheme == DraftScheme.TopK;
                         var node = new VerificationNode(target, deterministic ? ReadOnlySpan<double>.Empty : draft, candidates.AsSpan(0, drawn), new double[size])
                         {
                             TargetScale = sp,
                             DraftScale = sq,
                         };
                         return verifier.Verify(node, random).Token;
                     }))
            {
                law[token] += probability;
            }

            Distributions.AssertEqual(p, law, 1e-12, $"{kind}, trial {trial}, V={size}, k={k}, scales {sp}, {sq}");
        }
    }

    [Theory]
    [MemberData(nameof(LosslessKinds))]
    public void ExactEnumeration_FewTokensAcrossManyBlocks_OutputLawEqualsTarget(VerifierKind kind)
    {
        // A 3,000-token vocabulary whose mass sits on tokens in different blocks of the vectorised loops, so the
        // residuals' block sums and the two-stage draws (block, then token) are exercised; dense arrays, scaled.
        var verifier = VerifierFactory.Create(kind, new SamplingOptions());
        int[] tokens = [3, 511, 512, 1100, 1536, 2999];
        var rng = new Random(5 + (int)kind);
        for (int trial = 0; trial < 6; trial++)
        {
            int k = kind == VerifierKind.Standard ? 1 : 1 + trial % 3;
            var p = new double[3000];
            var q = new double[3000];
            foreach (int t in tokens)
            {
                p[t] = rng.NextDouble() < 0.2 ? 0 : rng.NextDouble() + 0.01;
                q[t] = rng.NextDouble() < 0.2 ? 0 : rng.NextDouble() + 0.01;
            }

            p[tokens[trial]] += 0.5;
            q[tokens[(trial + 1) % tokens.Length]] += 0.5;
            double sp = 1 / p.Sum(), sq = 1 / q.Sum();
            var law = new double[3000];
            foreach (var (token, probability) in EnumeratingRandomSource.Enumerate(random =>
                     {
                         var candidates = new int[k];
                         int drawn = CandidateSampler.Sample(verifier.Scheme, q, k, random, candidates, new double[3000]);
                         bool deterministic = verifier.Scheme == DraftScheme.TopK;
                         var node = new VerificationNode(p, deterministic ? ReadOnlySpan<double>.Empty : q, candidates.AsSpan(0, drawn), new double[3000])
                         {
                             TargetScale = sp,
                             DraftScale = sq,
                         };
                         return verifier.Verify(node, random).Token;
                     }))
            {
                law[token] += probability;
            }

            Distributions.AssertEqual(p.Select(x => x * sp).ToArray(), law, 1e-12, $"{kind}, trial {trial}, k={k}");
        }
    }

    [Fact]
    public void Typical_LazilyNormalisedTarget_DecidesAsOnProbabilities()
    {
        var rng = new Random(3);
        var typical = new TypicalVerifier();
        for (int trial = 0; trial < 50; trial++)
        {
            double[] p = Distributions.Random(rng, 6, sparse: false);
            double scale = 0.1 + trial;
            int candidate = trial % 6;
            double[] weights = p.Select(x => x / scale).ToArray();
            var plain = typical.Verify(new VerificationNode(p, p, [candidate], new double[6]), new SeededRandomSource(trial));
            var lazy = typical.Verify(new VerificationNode(weights, weights, [candidate], new double[6]) { TargetScale = scale, DraftScale = scale }, new SeededRandomSource(trial));
            Assert.Equal(plain.IsAccepted, lazy.IsAccepted);
            Assert.Equal(plain.Token, lazy.Token);
        }
    }

    [Fact]
    public void GreedyVerifier_OneHotTarget_CommitsItsToken()
    {
        var target = new TokenDistribution(1000);
        target.SetOneHot(640);
        var draft = new TokenDistribution(1000);
        draft.SetOneHot(17);
        var nodes = new NodeVerifier(1000);
        Assert.Equal(new VerificationResult(640, -1), nodes.Verify(GreedyVerifier.Instance, target, draft, [17], new SeededRandomSource(1)));
        draft.SetOneHot(640);
        Assert.Equal(new VerificationResult(640, 0), nodes.Verify(GreedyVerifier.Instance, target, draft, [640], new SeededRandomSource(1)));
    }

    [Fact]
    public void MeasureAcceptance_SparseLayout_EqualsDenseComputation()
    {
        var rng = new Random(8);
        foreach (var verifier in new ISpeculativeVerifier[] { KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance, RecursiveRejectionWithoutReplacementVerifier.Instance, GreedyDraftVerifier.Instance })
        {
            for (int trial = 0; trial < 10; trial++)
            {
                var target = FromLogits(rng, 40, new SamplingOptions { TopK = 6 });
                var draft = FromLogits(rng, 40, new SamplingOptions { TopK = 8 });
                var candidates = new int[3];
                int drawn = CandidateSampler.Sample(verifier.Scheme, draft, 3, new SeededRandomSource(trial), candidates, new double[40]);
                var c = candidates[..drawn];
                var (optimal, achieved) = new NodeVerifier(40).MeasureAcceptance(verifier, target, draft, c);
                double[] p = Dense(target), q = Dense(draft);
                Assert.Equal(OptimalAcceptance.Optimal(verifier.Scheme, p, q, c), optimal, 12);
                Assert.Equal(OptimalAcceptance.Achieved(verifier, p, q, c, new double[40]), achieved, 12);
            }
        }
    }

    [Fact]
    public void BadInput_ThrowsWithParameterName()
    {
        var nodes = new NodeVerifier(4);
        var p = new TokenDistribution(4);
        p.SetOneHot(1);
        Assert.Throws<ArgumentException>("target", () => nodes.Verify(StandardVerifier.Instance, new TokenDistribution(5), null, [], new SeededRandomSource(1)));
        Assert.Throws<ArgumentException>("draft", () => nodes.Verify(StandardVerifier.Instance, p, new TokenDistribution(3), [1], new SeededRandomSource(1)));
        Assert.Throws<ArgumentException>("candidates", () => nodes.Verify(StandardVerifier.Instance, p, null, [4], new SeededRandomSource(1)));
        Assert.Throws<ArgumentOutOfRangeException>("vocabularySize", () => new NodeVerifier(0));
    }

    private static void AssertLawEqualsTarget(ISpeculativeVerifier verifier, TokenDistribution target, TokenDistribution draft, int k, string because)
    {
        int size = target.VocabularySize;
        var law = new double[size];
        var nodes = new NodeVerifier(size);
        foreach (var (token, probability) in EnumeratingRandomSource.Enumerate(random =>
                 {
                     var candidates = new int[k];
                     int drawn = CandidateSampler.Sample(verifier.Scheme, draft, k, random, candidates, new double[size]);
                     bool deterministic = verifier.Scheme == DraftScheme.TopK;
                     return nodes.Verify(verifier, target, deterministic ? null : draft, candidates.AsSpan(0, drawn), random).Token;
                 }))
        {
            law[token] += probability;
        }

        Distributions.AssertEqual(Dense(target), law, 1e-12, because);
    }

    private static TokenDistribution FromLogits(Random rng, int size, SamplingOptions options)
    {
        var logits = Enumerable.Range(0, size).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
        var d = new TokenDistribution(size);
        new LogitProcessor(options).Process(logits, [], 0, d);
        return d;
    }

    private static double[] Dense(TokenDistribution d)
    {
        var dense = new double[d.VocabularySize];
        d.CopyTo(dense);
        return dense;
    }
}
