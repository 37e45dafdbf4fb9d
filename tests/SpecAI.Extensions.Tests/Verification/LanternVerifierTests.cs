using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Testing;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

public class LanternVerifierTests
{
    public static TheoryData<double, int> Budgets => new()
    {
        { 0.05, 8 },
        { 0.1, 8 },
        { 0.2, 2 },
        { 0.4, 8 },
        { 1.0, 1 },
    };

    [Theory]
    [MemberData(nameof(Budgets))]
    public void ExactEnumeration_DraftFromQ_OutputLawIsRelaxedAndWithinDelta(double delta, int k)
    {
        var rng = new Random(23);
        bool moved = false;
        for (int trial = 0; trial < 120; trial++)
        {
            int size = 2 + trial % 7;
            double[] p = Distributions.Random(rng, size, sparse: trial % 3 == 0);
            double[] q = Distributions.Random(rng, size, sparse: trial % 4 == 0);
            var verifier = new LanternVerifier(RandomEmbeddings.Create(rng, size, 4), delta, k, poolSize: 1 + trial % 4);
            double[] relaxed = new double[size];
            double tv = verifier.Relax(p, q, ReadOnlySpan<int>.Empty, 0, relaxed);
            double[] law = StandardVerifierTests.OutputLaw(verifier, p, q, deterministicDraft: null);

            // The emitted token follows p~ exactly, and p~ is within delta of p.
            Distributions.AssertEqual(relaxed, law, 1e-12, $"trial {trial}, V={size}");
            Assert.Equal(tv, TotalVariation(relaxed, p), 12);
            Assert.True(TotalVariation(law, p) <= delta + 1e-12, $"trial {trial}: TV {TotalVariation(law, p)} > delta {delta}");
            moved |= tv > 1e-9;
        }

        Assert.True(moved, "the relaxation never moved any mass: the test could not fail");
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void ExactEnumeration_DeterministicDraft_OutputLawIsRelaxedAndWithinDelta(double delta, int k)
    {
        var rng = new Random(29);
        for (int trial = 0; trial < 120; trial++)
        {
            int size = 2 + trial % 7;
            double[] p = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            int draft = trial % size;
            var verifier = new LanternVerifier(RandomEmbeddings.Create(rng, size, 3), delta, k, poolSize: 1 + trial % 5);
            double[] relaxed = new double[size];
            verifier.Relax(p, ReadOnlySpan<double>.Empty, ReadOnlySpan<int>.Empty, draft, relaxed);
            double[] law = StandardVerifierTests.OutputLaw(verifier, p, q: null, deterministicDraft: draft);
            Distributions.AssertEqual(relaxed, law, 1e-12, $"trial {trial}, V={size}");
            Assert.True(TotalVariation(law, p) <= delta + 1e-12, $"trial {trial}");
        }
    }

    [Fact]
    public void ExactEnumeration_DeltaZero_OutputLawEqualsTarget()
    {
        var rng = new Random(31);
        for (int trial = 0; trial < 100; trial++)
        {
            int size = 2 + trial % 6;
            double[] p = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            double[] q = Distributions.Random(rng, size, sparse: trial % 3 == 0);
            var verifier = new LanternVerifier(RandomEmbeddings.Create(rng, size, 4), delta: 0);
            Assert.True(verifier.IsLossless);
            Distributions.AssertEqual(p, StandardVerifierTests.OutputLaw(verifier, p, q, null), 1e-12, $"trial {trial}");
        }
    }

    [Fact]
    public void Verify_DeltaZero_SameDrawsAndAnswersAsStandard()
    {
        var rng = new Random(37);
        for (int trial = 0; trial < 2000; trial++)
        {
            int size = 2 + trial % 9;
            double[] p = Distributions.Random(rng, size, sparse: trial % 2 == 0);
            double[] q = Distributions.Random(rng, size, sparse: false);
            var lantern = new LanternVerifier(RandomEmbeddings.Create(rng, size, 4), delta: 0);
            var a = new SeededRandomSource(trial);
            var b = new SeededRandomSource(trial);
            int x = a.NextCategorical(q);
            Assert.Equal(x, b.NextCategorical(q));
            var standard = StandardVerifier.Instance.Verify(new VerificationNode(p, q, [x], new double[size]), a);
            var relaxed = lantern.Verify(new VerificationNode(p, q, [x], new double[size]), b);
            Assert.Equal(standard, relaxed);
            Assert.Equal(a.NextUInt64(), b.NextUInt64()); // the same number of draws
        }
    }

    [Fact]
    public void Verify_PositiveDelta_AcceptsWhateverStandardAcceptsWithTheSameDraw()
    {
        var rng = new Random(41);
        int extra = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            int size = 2 + trial % 9;
            double[] p = Distributions.Random(rng, size, sparse: false);
            double[] q = Distributions.Random(rng, size, sparse: false);
            var lantern = new LanternVerifier(RandomEmbeddings.Create(rng, size, 4), delta: 0.2);
            var a = new SeededRandomSource(trial);
            var b = new SeededRandomSource(trial);
            int x = a.NextCategorical(q);
            b.NextCategorical(q);
            var standard = StandardVerifier.Instance.Verify(new VerificationNode(p, q, [x], new double[size]), a);
            var relaxed = lantern.Verify(new VerificationNode(p, q, [x], new double[size]), b);
            if (standard.IsAccepted)
            {
                Assert.Equal(standard, relaxed);
            }
            else if (relaxed.IsAccepted)
            {
                extra++;
            }
        }

        Assert.True(extra > 0, "the relaxation never accepted a draft standard verification rejected");
    }

    [Fact]
    public void ChiSquare_PositiveDelta_OutputDiffersFromTargetAndFollowsRelaxed()
    {
        // Token 0 is drafted too often; its embedding is next to token 1's, which the target over-weights.
        double[] p = [0.10, 0.40, 0.20, 0.15, 0.15];
        double[] q = [0.45, 0.15, 0.15, 0.15, 0.10];
        var embeddings = new RandomEmbeddings([[1, 0, 0], [0.9f, 0.1f, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0]]);
        var verifier = new LanternVerifier(embeddings, delta: 0.2, neighbourCount: 2);
        double[] relaxed = new double[5];
        Assert.Equal(0.2, verifier.Relax(p, q, ReadOnlySpan<int>.Empty, 0, relaxed), 12);

        var random = new SeededRandomSource(2026);
        var counts = new long[5];
        var scratch = new double[5];
        for (int i = 0; i < 20_000; i++)
        {
            int x = random.NextCategorical(q);
            counts[verifier.Verify(new VerificationNode(p, q, [x], scratch), random).Token]++;
        }

        // Against the target's law the sample fails (delta > 0 is lossy, and the test can tell); against p~ it passes.
        Assert.True(ChiSquare.Test(counts, p).PValue < 1e-9, $"counts [{string.Join(", ", counts)}] look like p");
        Assert.True(ChiSquare.Test(counts, relaxed).PValue > 1e-4, $"counts [{string.Join(", ", counts)}] do not follow p~ [{string.Join(", ", relaxed)}]");
    }

    [Fact]
    public void PerDraftRelaxation_OfThePaper_ExceedsDeltaWhereThisRuleDoesNot()
    {
        // p: 0.5 on token 0 and 0.05 on each of tokens 1..10; q uniform on 1..10; every token's nearest neighbour is token 0.
        const int size = 11;
        const double delta = 0.1;
        double[] p = new double[size];
        double[] q = new double[size];
        p[0] = 0.5;
        for (int i = 1; i < size; i++)
        {
            (p[i], q[i]) = (0.05, 0.1);
        }

        // Per-draft p~_x(x) = p(x) + min(delta, p(0)) = 0.15 >= q(x): every draft is accepted and the output is q.
        for (int x = 1; x < size; x++)
        {
            double accept = Math.Min(1, (p[x] + Math.Min(delta, p[0])) / q[x]);
            Assert.Equal(1.0, accept, 12);
        }

        double perDraftTv = TotalVariation(q, p);
        Assert.Equal(0.5, perDraftTv, 12);

        var rows = new float[size][];
        rows[0] = [1, 0];
        for (int i = 1; i < size; i++)
        {
            rows[i] = [1, 0.1f * i];
        }

        var verifier = new LanternVerifier(new RandomEmbeddings(rows), delta, neighbourCount: 8);
        double[] law = StandardVerifierTests.OutputLaw(verifier, p, q, null);
        Assert.True(TotalVariation(law, p) <= delta + 1e-12);
        Assert.Equal(delta, TotalVariation(law, p), 12);
    }

    [Theory]
    [InlineData(2, 0.1)]
    [InlineData(3, 0.2)]
    [InlineData(2, 0.4)]
    public void ExactEnumeration_MultiDraftUnderKSeqAndRrs_OutputLawIsRelaxed(int drafts, double delta)
    {
        var rng = new Random(43);
        foreach (ISpeculativeVerifier rule in new ISpeculativeVerifier[] { KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance })
        {
            bool moved = false;
            for (int trial = 0; trial < 40; trial++)
            {
                int size = 2 + trial % 5;
                double[] p = Distributions.Random(rng, size, sparse: trial % 3 == 0);
                double[] q = Distributions.Random(rng, size, sparse: false);
                var verifier = new LanternVerifier(RandomEmbeddings.Create(rng, size, 4), delta, multiDraft: rule);
                double[] relaxed = new double[size];
                moved |= verifier.Relax(p, q, ReadOnlySpan<int>.Empty, 0, relaxed) > 1e-9;
                var law = new double[size];
                foreach (var (result, probability) in EnumeratingRandomSource.Enumerate(random =>
                         {
                             var candidates = new int[drafts];
                             for (int i = 0; i < drafts; i++)
                             {
                                 candidates[i] = random.NextCategorical(q);
                             }

                             return verifier.Verify(new VerificationNode(p, q, candidates, new double[size]), random);
                         }))
                {
                    law[result.Token] += probability;
                }

                Distributions.AssertEqual(relaxed, law, 1e-12, $"{rule.Kind}, trial {trial}, V={size}");
                Assert.True(TotalVariation(law, p) <= delta + 1e-12);
            }

            Assert.True(moved);
        }
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        var embeddings = new RandomEmbeddings([[1f]]);
        Assert.Throws<ArgumentNullException>("embeddings", () => new LanternVerifier(null!));
        Assert.Throws<ArgumentOutOfRangeException>("delta", () => new LanternVerifier(embeddings, delta: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>("delta", () => new LanternVerifier(embeddings, delta: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>("delta", () => new LanternVerifier(embeddings, delta: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>("neighbourCount", () => new LanternVerifier(embeddings, neighbourCount: 0));
        Assert.Throws<ArgumentOutOfRangeException>("poolSize", () => new LanternVerifier(embeddings, poolSize: 0));
        Assert.Throws<ArgumentException>("multiDraft", () => new LanternVerifier(embeddings, multiDraft: new TypicalVerifier()));
        Assert.Throws<ArgumentException>("node", () => new LanternVerifier(embeddings).Verify(new VerificationNode([1.0], [1.0], [0, 0], new double[1]), new SeededRandomSource(1)));
    }

    [Fact]
    public void NodeVerifier_SparseLayout_ReadsEmbeddingsByTokenId()
    {
        // Sparse supports over a 1000-token vocabulary: positions are not token ids, the embeddings must be read by id.
        const int vocabulary = 1000;
        var p = new TokenDistribution(vocabulary);
        p.SetSparse([10, 500, 900], [0.5, 0.3, 0.2]);
        var q = new TokenDistribution(vocabulary);
        q.SetSparse([10, 500, 700], [0.2, 0.1, 0.7]);
        var embeddings = new RecordingEmbeddings(vocabulary);
        var verifier = new LanternVerifier(embeddings, delta: 0.3, measuresDistance: true);
        var node = new NodeVerifier(vocabulary);
        node.Verify(verifier, p, q, [700], new SeededRandomSource(1));
        Assert.Subset(new HashSet<int> { 10, 500, 700, 900 }, embeddings.Read);
        Assert.Contains(700, embeddings.Read);
        Assert.True(verifier.LastDistance > 0 && verifier.LastDistance <= 0.3 + 1e-12);
    }

    private static double TotalVariation(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum / 2;
    }

    private sealed class RandomEmbeddings(float[][] rows) : ITokenEmbeddings
    {
        public int VocabularySize => rows.Length;

        public int Dimension => rows[0].Length;

        public static RandomEmbeddings Create(Random rng, int size, int dimension)
            => new(Enumerable.Range(0, size).Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray());

        public ReadOnlyMemory<float> GetRow(int token) => rows[token];
    }

    private sealed class RecordingEmbeddings(int size) : ITokenEmbeddings
    {
        public HashSet<int> Read { get; } = new();

        public int VocabularySize => size;

        public int Dimension => 2;

        public ReadOnlyMemory<float> GetRow(int token)
        {
            Read.Add(token);
            return new float[] { MathF.Cos(token), MathF.Sin(token) };
        }
    }
}
