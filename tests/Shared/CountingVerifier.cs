using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Testing;

/// <summary>A custom verifier plugged in through public API: counts the nodes and steps it verifies, and delegates to a built-in rule.</summary>
internal sealed class CountingVerifier(ISpeculativeVerifier inner) : ISpeculativeVerifier
{
    public int Calls { get; private set; }

    public int Steps { get; private set; }

    public VerifierKind Kind => inner.Kind;

    public bool IsLossless => inner.IsLossless;

    public DraftScheme Scheme => inner.Scheme;

    public void BeginStep() => Steps++;

    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        Calls++;
        return inner.Verify(node, random);
    }
}
