using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Sampling;

public class TokenDistributionTests
{
    [Fact]
    public void Sparse_LookupCopyAndPositions_FollowTheSupport()
    {
        var d = new TokenDistribution(10);
        d.SetSparse([2, 5, 9], [0.25, 0.5, 0.25]);
        Assert.True(d.IsSparse);
        Assert.Equal(3, d.Count);
        Assert.Equal([2, 5, 9], d.Support.ToArray());
        Assert.Equal(1, d.IndexOf(5));
        Assert.Equal(-1, d.IndexOf(4));
        Assert.Equal(-1, d.IndexOf(10));
        Assert.Equal(9, d.TokenAt(2));
        Assert.Equal(0.5, d.Probability(5));
        Assert.Equal(0, d.Probability(3));
        var dense = new double[10];
        d.CopyTo(dense);
        Assert.Equal([0, 0, 0.25, 0, 0, 0.5, 0, 0, 0, 0.25], dense);
    }

    [Fact]
    public void Dense_PositionsAreTokenIds_AndStorageSwitchesBothWays()
    {
        var d = new TokenDistribution(3);
        d.SetDense([0.2, 0.3, 0.5]);
        Assert.False(d.IsSparse);
        Assert.Equal(3, d.Count);
        Assert.True(d.Support.IsEmpty);
        Assert.Equal(2, d.IndexOf(2));
        Assert.Equal(0.3, d.Probability(1));
        d.SetOneHot(1);
        Assert.True(d.IsSparse);
        Assert.Equal([1], d.Support.ToArray());
        Assert.Equal(1.0, d.Probability(1));
        var copy = new TokenDistribution(3);
        copy.CopyFrom(d);
        Assert.Equal(1.0, copy.Probability(1));
    }

    [Fact]
    public void Sample_Sparse_DrawsSupportTokensWithTheirProbabilities()
    {
        var d = new TokenDistribution(8);
        d.SetSparse([1, 4, 7], [0.2, 0.3, 0.5]);
        var law = new double[8];
        foreach (var (token, probability) in EnumeratingRandomSource.Enumerate(r => d.Sample(r)))
        {
            law[token] += probability;
        }

        Distributions.AssertEqual([0, 0.2, 0, 0, 0.3, 0, 0, 0.5], law, 1e-15, "sparse draw");
    }

    [Fact]
    public void BadInput_ThrowsWithParameterName()
    {
        Assert.Throws<ArgumentOutOfRangeException>("vocabularySize", () => new TokenDistribution(0));
        var d = new TokenDistribution(4);
        Assert.Throws<ArgumentException>("tokens", () => d.SetSparse([2, 1], [0.5, 0.5]));
        Assert.Throws<ArgumentException>("tokens", () => d.SetSparse([1, 4], [0.5, 0.5]));
        Assert.Throws<ArgumentException>("probabilities", () => d.SetSparse([1], [0.5, 0.5]));
        Assert.Throws<ArgumentException>("probabilities", () => d.SetDense([1.0]));
        Assert.Throws<ArgumentOutOfRangeException>("token", () => d.SetOneHot(4));
        Assert.Throws<ArgumentException>("destination", () => d.CopyTo(new double[3]));
        Assert.Throws<ArgumentException>("other", () => d.CopyFrom(new TokenDistribution(5)));
    }

    [Fact]
    public void Process_Dense_IsLazilyNormalised_ProbabilitiesAreWeightsTimesScale()
    {
        var logits = Enumerable.Range(0, 3000).Select(i => (float)Math.Sin(i)).ToArray();
        var d = new TokenDistribution(3000);
        new LogitProcessor(new SamplingOptions()).Process(logits, [], 0, d);
        Assert.False(d.IsSparse);
        Assert.NotEqual(1.0, d.Scale);
        Assert.Equal(1.0, d.Weights.ToArray().Sum() * d.Scale, 12);
        Assert.Equal(d.Weights[17] * d.Scale, d.Probability(17));
        var dense = new double[3000];
        d.CopyTo(dense);
        Assert.Equal(1.0, dense.Sum(), 12);
        Assert.Equal(d.Probability(2999), dense[2999]);
    }
}
