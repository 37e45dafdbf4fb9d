using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

public class StandardVerifierTests
{
    public static TheoryData<double, int, double> Transforms => new()
    {
        { 1.0, 0, 1.0 },
        { 0.7, 0, 1.0 },
        { 1.3, 3, 1.0 },
        { 1.0, 0, 0.8 },
        { 0.8, 4, 0.9 },
    };

    [Theory]
    [MemberData(nameof(Transforms))]
    public void ExactEnumeration_DraftFromQ_OutputLawEqualsTarget(double temperature, int topK, double topP)
    {
        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP };
        var rng = new Random(17);
        for (int trial = 0; trial < 60; trial++)
        {
            int size = 2 + trial % 5;
            double[] p = Distributions.FromLogits(rng, size, options);
            double[] q = Distributions.FromLogits(rng, size, options);
            double[] law = OutputLaw(StandardVerifier.Instance, p, q, deterministicDraft: null);
            Distributions.AssertEqual(p, law, 1e-12, $"trial {trial}, V={size}");
        }
    }

    [Fact]
    public void ExactEnumeration_SparseDistributions_OutputLawEqualsTarget()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            int size = 2 + trial % 5;
            double[] p = Distributions.Random(rng, size, sparse: true);
            double[] q = Distributions.Random(rng, size, sparse: true);
            Distributions.AssertEqual(p, OutputLaw(StandardVerifier.Instance, p, q, null), 1e-12, $"trial {trial}");
        }
    }

    [Fact]
    public void ExactEnumeration_DeterministicDraft_OutputLawEqualsTarget()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 100; trial++)
        {
            int size = 2 + trial % 5;
            double[] p = Distributions.Random(rng, size, sparse: true);
            int draft = trial % size;
            Distributions.AssertEqual(p, OutputLaw(StandardVerifier.Instance, p, q: null, deterministicDraft: draft), 1e-12, $"trial {trial}");
        }
    }

    [Fact]
    public void AcceptanceProbability_DraftProbabilityZero_Rejects()
    {
        Assert.Equal(0, StandardVerifier.AcceptanceProbability([0.5, 0.5], [1.0, 0.0], 1));
        Assert.Equal(1, StandardVerifier.AcceptanceProbability([0.5, 0.5], [0.25, 0.75], 0));
        Assert.Equal(0.5 / 0.75, StandardVerifier.AcceptanceProbability([0.5, 0.5], [0.25, 0.75], 1), 15);
    }

    [Fact]
    public void Verify_NoCandidate_DrawsBonusFromTarget()
    {
        double[] p = [0.2, 0.3, 0.5];
        var law = new double[3];
        foreach (var (result, probability) in EnumeratingRandomSource.Enumerate(r =>
                     StandardVerifier.Instance.Verify(new VerificationNode(p, ReadOnlySpan<double>.Empty, ReadOnlySpan<int>.Empty, new double[3]), r)))
        {
            Assert.False(result.IsAccepted);
            law[result.Token] += probability;
        }

        Distributions.AssertEqual(p, law, 1e-15, "bonus token");
    }

    [Fact]
    public void Verify_TwoCandidates_ThrowsArgumentException()
    {
        double[] p = [0.5, 0.5];
        var ex = Assert.Throws<ArgumentException>(() =>
            StandardVerifier.Instance.Verify(new VerificationNode(p, p, [0, 1], new double[2]), new SeededRandomSource(1)));
        Assert.Equal("node", ex.ParamName);
    }

    [Fact]
    public void ExactEnumeration_AcceptanceRate_IsOneMinusTotalVariation()
    {
        double[] p = [0.1, 0.6, 0.3];
        double[] q = [0.5, 0.2, 0.3];
        double accepted = 0;
        foreach (var (result, probability) in Enumerate(StandardVerifier.Instance, p, q, null))
        {
            accepted += result.IsAccepted ? probability : 0;
        }

        // Leviathan et al.: acceptance = sum_x min(p(x), q(x)).
        Assert.Equal(0.1 + 0.2 + 0.3, accepted, 12);
    }

    /// <summary>The exact law of the committed token: draft x ~ q (or fixed), then verify, over every branch.</summary>
    internal static double[] OutputLaw(ISpeculativeVerifier verifier, double[] p, double[]? q, int? deterministicDraft)
    {
        var law = new double[p.Length];
        foreach (var (result, probability) in Enumerate(verifier, p, q, deterministicDraft))
        {
            law[result.Token] += probability;
        }

        return law;
    }

    private static List<(VerificationResult Result, double Probability)> Enumerate(ISpeculativeVerifier verifier, double[] p, double[]? q, int? deterministicDraft)
        => EnumeratingRandomSource.Enumerate(random =>
        {
            int x = deterministicDraft ?? random.NextCategorical(q);
            var scratch = new double[p.Length];
            var node = new VerificationNode(p, q is null ? ReadOnlySpan<double>.Empty : q, [x], scratch);
            return verifier.Verify(node, random);
        });
}
