using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

public class TypicalAndGreedyVerifierTests
{
    [Fact]
    public void Typical_IsLabelledLossy()
    {
        var verifier = new TypicalVerifier();
        Assert.False(verifier.IsLossless);
        Assert.Equal(VerifierKind.Typical, verifier.Kind);
        Assert.Equal(VerifierKind.Typical, VerifierFactory.Create(VerifierKind.Typical, new SamplingOptions()).Kind);
    }

    [Fact]
    public void Typical_ExactEnumeration_OutputLawDiffersFromTarget()
    {
        // A confident draft and a flat target: typical acceptance keeps the draft's favourite far too often.
        double[] p = [0.3, 0.25, 0.25, 0.2];
        double[] q = [0.9, 0.05, 0.03, 0.02];
        double[] law = StandardVerifierTests.OutputLaw(new TypicalVerifier(), p, q, null);
        double totalVariation = p.Zip(law, (a, b) => Math.Abs(a - b)).Sum() / 2;
        Assert.True(totalVariation > 0.05, $"typical acceptance should be lossy here; total variation {totalVariation}");
        Assert.Equal(1.0, law.Sum(), 12);
    }

    [Fact]
    public void Greedy_ExactEnumeration_CommitsTargetArgMax()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 50; trial++)
        {
            int size = 2 + trial % 5;
            double[] p = Distributions.FromLogits(rng, size, SamplingOptions.Greedy);
            double[] q = Distributions.FromLogits(rng, size, new SamplingOptions());
            Distributions.AssertEqual(p, StandardVerifierTests.OutputLaw(GreedyVerifier.Instance, p, q, null), 1e-15, $"trial {trial}");
            Distributions.AssertEqual(p, StandardVerifierTests.OutputLaw(StandardVerifier.Instance, p, q, null), 1e-15, $"standard at one-hot p, trial {trial}");
        }
    }

    [Fact]
    public void Factory_Greedy_UsesGreedyForLosslessKinds()
    {
        Assert.Same(GreedyVerifier.Instance, VerifierFactory.Create(VerifierKind.Standard, SamplingOptions.Greedy));
        Assert.Same(StandardVerifier.Instance, VerifierFactory.Create(VerifierKind.Standard, new SamplingOptions()));
    }
}
