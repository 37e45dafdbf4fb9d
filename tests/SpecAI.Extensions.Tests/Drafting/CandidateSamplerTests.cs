using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Drafting;

public class CandidateSamplerTests
{
    [Fact]
    public void TopTokens_SweepLengthsWithTies_MatchesScalarReference()
    {
        var rng = new Random(21);
        foreach (int n in Enumerable.Range(1, 257).Concat([1000, 4097]))
        {
            // Few distinct values: many ties, and zeros that must never be chosen.
            var q = Enumerable.Range(0, n).Select(_ => rng.Next(4) / 4.0).ToArray();
            int count = 1 + rng.Next(6);
            var expected = Enumerable.Range(0, n).Where(i => q[i] > 0).OrderByDescending(i => q[i]).ThenBy(i => i).Take(count).ToArray();
            var actual = new int[count];
            int written = CandidateSampler.TopTokens(q, count, actual, new double[n]);
            Assert.Equal(expected, actual[..written]);
        }
    }

    [Theory]
    [InlineData(DraftScheme.Independent)]
    [InlineData(DraftScheme.WithoutReplacement)]
    [InlineData(DraftScheme.TopK)]
    [InlineData(DraftScheme.GreedyDraft)]
    public void Sample_SparseDistribution_HasTheLawOfTheDenseDrawMappedToIds(DraftScheme scheme)
    {
        var sparse = new TokenDistribution(10);
        sparse.SetSparse([1, 4, 6, 9], [0.1, 0.4, 0.3, 0.2]);
        var dense = new double[10];
        sparse.CopyTo(dense);
        var expected = Law(r =>
        {
            var c = new int[3];
            int n = CandidateSampler.Sample(scheme, dense, 3, r, c, new double[10]);
            return string.Join(",", c[..n]);
        });
        var actual = Law(r =>
        {
            var c = new int[3];
            int n = CandidateSampler.Sample(scheme, sparse, 3, r, c, new double[10]);
            return string.Join(",", c[..n]);
        });
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, probability) in expected)
        {
            Assert.Equal(probability, actual[key], 12);
        }
    }

    [Fact]
    public void DraftTree_PoolsDistributions_NullWhenDeterministic()
    {
        var tree = new DraftTree();
        tree.Reset(rootToken: 3, branchCount: 2, vocabularySize: 50);
        var q = tree.RentChildDistribution(0);
        Assert.Same(q, tree.RentChildDistribution(0));
        Assert.Same(q, tree.ChildDistributionOf(0));
        Assert.Equal(50, q.VocabularySize);
        tree.MarkDeterministic(0);
        Assert.Null(tree.ChildDistributionOf(0));
        Assert.Same(q, tree.RentChildDistribution(0));
        tree.Release();
        tree.Reset(rootToken: 3, branchCount: 1, vocabularySize: 50);
        Assert.Same(q, tree.RentChildDistribution(0));
        tree.Reset(rootToken: 3, branchCount: 1, vocabularySize: 60);
        Assert.Equal(60, tree.RentChildDistribution(0).VocabularySize);
    }

    private static Dictionary<string, double> Law(Func<IRandomSource, string> draw)
    {
        var law = new Dictionary<string, double>();
        foreach (var (key, probability) in EnumeratingRandomSource.Enumerate(draw))
        {
            law[key] = law.GetValueOrDefault(key) + probability;
        }

        return law;
    }
}
