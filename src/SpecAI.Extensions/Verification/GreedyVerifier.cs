using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Greedy verification: the target's most likely token is committed; a candidate is accepted iff it is
/// that token. Lossless for greedy decoding (temperature 0), for any number of candidates.
/// </summary>
/// <remarks>
/// This is standard speculative sampling with a one-hot p: <c>min(1, p(x)/q(x))</c> is 1 on the argmax
/// and 0 elsewhere, and the residual is the argmax again. It draws no random numbers.
/// </remarks>
internal sealed class GreedyVerifier : ISpeculativeVerifier
{
    /// <summary>The shared instance.</summary>
    public static GreedyVerifier Instance { get; } = new();

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Standard;

    /// <inheritdoc />
    public bool IsLossless => true;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.TopK;

    /// <inheritdoc />
    /// <remarks>The rule is deterministic: 1 when the target's most likely token is a candidate, else 0.</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => node.Candidates.IsEmpty ? double.NaN : node.Candidates.IndexOf(Distribution.ArgMax(node.Target)) >= 0 ? 1.0 : 0.0;

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        int best = Distribution.ArgMax(node.Target);
        int index = node.Candidates.IndexOf(best);
        return new VerificationResult(best, index);
    }
}
