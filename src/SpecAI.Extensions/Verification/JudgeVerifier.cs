using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Judge decoding (Bachmann et al. 2025, arXiv:2501.19309). LOSSY by design: a draft token is kept when the
/// standard rule accepts it OR the judge head's score at that token exceeds its threshold; at the first
/// token both reject, the target's own token is drawn from the standard residual.
/// </summary>
/// <remarks>
/// The judge reads the target's hidden state at the draft token from the same verification batch; scores
/// arrive in <see cref="VerificationNode.JudgeScores"/>. Without scores this is exactly the standard rule.
/// </remarks>
public sealed class JudgeVerifier : ISpeculativeVerifier
{
    /// <summary>Creates a judge verifier.</summary>
    /// <param name="threshold">Score above which a draft token is kept, in (0, 1).</param>
    public JudgeVerifier(double threshold)
    {
        if (!(threshold > 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The judge threshold must be in (0, 1).");
        }

        Threshold = threshold;
    }

    /// <summary>Score above which a draft token is kept.</summary>
    public double Threshold { get; }

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Standard;

    /// <inheritdoc />
    public bool IsLossless => false;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.Independent;

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (node.Candidates.Length == 1 && !node.JudgeScores.IsEmpty && node.JudgeScores[0] > Threshold)
        {
            return new VerificationResult(node.Candidates[0], 0);
        }

        return StandardVerifier.Instance.Verify(node, random);
    }
}
