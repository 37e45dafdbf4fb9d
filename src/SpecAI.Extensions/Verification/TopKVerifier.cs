using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Verification of deterministic drafts (EAGLE-2 style top-k trees): each candidate has a one-hot draft
/// law, so candidate x is accepted with probability <c>p'(x)</c>; on rejection <c>p'(x) = 0</c> and p' is
/// renormalised; when every candidate is rejected the token is drawn from p'. Lossless.
/// </summary>
/// <remarks>
/// Recursive rejection sampling (Miao et al. 2024, SpecInfer, arXiv:2305.09781) with one-hot q per
/// candidate, as used for the deterministic top-k trees of EAGLE-2 (Li et al. 2024, arXiv:2406.16858).
/// The probability that some candidate is committed is p(candidate set). The draft distribution at the
/// node is ignored: top-k candidates are a deterministic function of q, so their law is one-hot whatever
/// q was. Verifying top-k candidates with q itself as their law (the with-replacement rule) is NOT lossless.
/// A duplicate candidate is rejected (its p' is already 0). This rule also verifies any deterministic
/// draft (prompt lookup), which is why the sampling verifiers delegate to it when q is empty.
/// </remarks>
internal sealed class TopKVerifier : ISpeculativeVerifier
{
    /// <summary>The shared instance.</summary>
    public static TopKVerifier Instance { get; } = new();

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.TopK;

    /// <inheritdoc />
    public bool IsLossless => true;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.TopK;

    /// <summary>Probability that one of the deterministic candidates is committed: <c>p(set of candidates)</c>.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="candidates">The candidates (duplicates counted once).</param>
    /// <returns>The acceptance probability.</returns>
    public static double AcceptanceProbability(ReadOnlySpan<double> p, ReadOnlySpan<int> candidates)
    {
        double mass = 0;
        for (int i = 0; i < candidates.Length; i++)
        {
            if (candidates[..i].IndexOf(candidates[i]) < 0)
            {
                mass += p[candidates[i]];
            }
        }

        return Math.Min(1.0, mass);
    }

    /// <summary>Verifies deterministic candidates (one-hot draft law each) against p. Used by every sampling verifier when q is empty.</summary>
    /// <param name="target">Target distribution p.</param>
    /// <param name="candidates">The deterministic candidates, in order.</param>
    /// <param name="scratch">A buffer of p's length.</param>
    /// <param name="random">The request's random source.</param>
    /// <returns>The committed token and the accepted candidate, if any.</returns>
    /// <exception cref="ArgumentException">The scratch buffer is shorter than p.</exception>
    public static VerificationResult VerifyDeterministic(ReadOnlySpan<double> target, ReadOnlySpan<int> candidates, Span<double> scratch, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (scratch.Length < target.Length)
        {
            throw new ArgumentException($"Scratch has {scratch.Length} entries but p has {target.Length}.", nameof(scratch));
        }

        Span<double> residual = scratch[..target.Length];
        target.CopyTo(residual);
        double mass = Distribution.Mass(residual);
        for (int i = 0; i < candidates.Length; i++)
        {
            int x = candidates[i];
            double px = residual[x];

            // Accept with p'(x) = residual(x) / mass; p'(x) = 0 after an earlier rejection of the same token.
            if (px > 0 && random.NextBernoulli(px >= mass ? 1.0 : px / mass))
            {
                return new VerificationResult(x, i);
            }

            residual[x] = 0;
            mass -= px;
        }

        // Zero mass only through rounding when the candidates covered p's support: fall back to p.
        ReadOnlySpan<double> final = mass > 0 && Distribution.Mass(residual) > 0 ? residual : target;
        return VerificationResult.Recovered(random.NextCategorical(final));
    }

    /// <inheritdoc />
    /// <remarks><c>p(set of candidates)</c> (see <see cref="AcceptanceProbability(ReadOnlySpan{double}, ReadOnlySpan{int})"/>); q plays no part.</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => node.Candidates.IsEmpty ? double.NaN : AcceptanceProbability(Distribution.Scaled(node.Target, node.TargetScale), node.Candidates);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
        => VerifyDeterministic(node.Target, node.Candidates, node.Scratch, random);
}
