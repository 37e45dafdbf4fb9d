using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Judge decoding (Bachmann et al. 2025, arXiv:2501.19309). LOSSY by design: a draft token is kept when the
/// standard rule accepts it OR the judge head's score at that token exceeds the threshold; at the first
/// token both reject, the target's own token is drawn from the standard residual.
/// </summary>
/// <remarks>
/// The standard test runs first (same random numbers as <see cref="StandardVerifier"/>), so the judge only ever
/// keeps tokens the standard rule rejected, and those are counted (<see cref="JudgedInStep"/>). Threshold 1 never
/// judges: the verifier is then exactly the standard rule and reports itself lossless. The judge reads the target's
/// hidden state at the draft token from the same verification batch; scores arrive in
/// <see cref="VerificationNode.JudgeScores"/>. Without scores, or once <see cref="MaxJudgedTokensPerStep"/> tokens
/// were judged in the current step, this is exactly the standard rule.
/// </remarks>
internal sealed class JudgeVerifier : ISpeculativeVerifier
{
    /// <summary>Creates a judge verifier.</summary>
    /// <param name="threshold">Score above which a rejected draft token is kept, in [0, 1]; 1 never judges.</param>
    /// <param name="maxJudgedTokensPerStep">Most tokens the judge may keep per verification step; null for no limit.</param>
    public JudgeVerifier(double threshold, int? maxJudgedTokensPerStep = null)
    {
        if (!(threshold >= 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The judge threshold must be in [0, 1] (1 = never judge).");
        }

        if (maxJudgedTokensPerStep < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxJudgedTokensPerStep), maxJudgedTokensPerStep, "MaxJudgedTokensPerStep must be at least 1 (null for no limit).");
        }

        Threshold = threshold;
        MaxJudgedTokensPerStep = maxJudgedTokensPerStep;
    }

    /// <summary>Score above which a rejected draft token is kept (1 = never).</summary>
    public double Threshold { get; }

    /// <summary>Most tokens the judge may keep per step; null for no limit.</summary>
    public int? MaxJudgedTokensPerStep { get; }

    /// <summary>Tokens the judge kept (the standard rule had rejected them) since the last <see cref="BeginStep"/>.</summary>
    public int JudgedInStep { get; private set; }

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Standard;

    /// <inheritdoc />
    public bool IsLossless => Threshold >= 1;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.Independent;

    /// <inheritdoc />
    int ISpeculativeVerifier.LossyAcceptancesInStep => JudgedInStep;

    /// <summary>Starts a verification step: resets <see cref="JudgedInStep"/>, which <see cref="MaxJudgedTokensPerStep"/> bounds.</summary>
    public void BeginStep() => JudgedInStep = 0;

    /// <inheritdoc />
    /// <remarks>The standard rule's value when the judge never overrides it (threshold 1); NaN otherwise (lossy: the judge's scores of tokens not drafted are unknown).</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => IsLossless ? StandardVerifier.Instance.ExpectedAcceptance(node) : double.NaN;

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (Threshold >= 1 || node.Candidates.Length != 1 || node.JudgeScores.IsEmpty || JudgedInStep >= MaxJudgedTokensPerStep)
        {
            return StandardVerifier.Instance.Verify(node, random);
        }

        int x = node.Candidates[0];
        if (random.NextBernoulli(StandardVerifier.AcceptanceProbability(node, x)))
        {
            return new VerificationResult(x, 0);
        }

        if (node.JudgeScores[0] > Threshold)
        {
            JudgedInStep++;
            return new VerificationResult(x, 0);
        }

        return StandardVerifier.DrawResidual(node, x, random);
    }
}
