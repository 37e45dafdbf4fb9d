using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Recursive rejection sampling over drafts drawn from q without replacement (all distinct). Lossless.
/// </summary>
/// <remarks>
/// <para>SpecInfer (Miao et al. 2024, arXiv:2305.09781); Multi-Candidate Speculative Decoding (Yang et al.
/// 2024, arXiv:2401.06706), the without-replacement variant. Rule, starting from <c>p' = p</c>, <c>q' = q</c>:
/// candidate x is accepted with <c>min(1, p'(x) / q'(x))</c>; on rejection <c>p' &lt;- norm(max(0, p' - q'))</c>
/// and then <c>q'(x) = 0</c>, <c>q' &lt;- norm(q')</c>; when every candidate is rejected the token is drawn from p'.
/// The i-th candidate is a draw from q' (q with the earlier candidates removed), so each stage is standard
/// speculative sampling of p' against q'.</para>
/// <para>Implementation: q' is never written out. It is <c>q / (1 - R)</c> off the removed tokens, where R is
/// their q mass; on the removed tokens p' is already 0 (a token is rejected only where p' &lt; q', and the
/// update clamps it to 0), so <c>max(0, p' - q / (1 - R))</c> is the same there. One scratch buffer suffices.</para>
/// <para>Edge cases: q(x) = 0, a repeated candidate, or nothing left of q rejects; zero residual mass
/// (rounding) keeps p'; an empty q is verified by <see cref="TopKVerifier.VerifyDeterministic"/>.</para>
/// </remarks>
internal sealed class RecursiveRejectionWithoutReplacementVerifier : ISpeculativeVerifier
{
    /// <summary>Largest number of ordered draft outcomes <see cref="ExpectedAcceptance(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int})"/> sums over exactly.</summary>
    public const int ExactOutcomeLimit = 4096;

    /// <summary>The shared instance.</summary>
    public static RecursiveRejectionWithoutReplacementVerifier Instance { get; } = new();

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.RecursiveRejectionWithoutReplacement;

    /// <inheritdoc />
    public bool IsLossless => true;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.WithoutReplacement;

    /// <summary>Probability of accepting <paramref name="token"/>: <c>min(1, p'(x) / q'(x))</c> with <c>q'(x) = q(x) / (1 - removed)</c>.</summary>
    /// <param name="residual">The current residual p' (normalised).</param>
    /// <param name="q">The original draft distribution.</param>
    /// <param name="removedMass">q mass of the candidates already rejected.</param>
    /// <param name="token">The candidate (not among the removed ones).</param>
    /// <returns>The acceptance probability; 0 when q'(x) = 0.</returns>
    public static double AcceptanceProbability(ReadOnlySpan<double> residual, ReadOnlySpan<double> q, double removedMass, int token)
        => Accept(residual[token], q[token], removedMass);

    // The rule: min(1, p'(x) / q'(x)) with q'(x) = q(x) / (1 - removed); q'(x) = 0 or nothing left rejects.
    private static double Accept(double px, double qx, double removedMass)
    {
        double left = 1.0 - removedMass;
        return qx <= 0 || left <= 0 ? 0 : Math.Min(1.0, px * left / qx);
    }

    /// <summary>
    /// Probability that a draft is accepted, given the realised candidates when the draft law is too large
    /// to sum over, else its exact expectation over the draws without replacement (when q's support has
    /// at most <see cref="ExactOutcomeLimit"/> ordered k-tuples). Either way its running mean estimates the
    /// expected acceptance without bias (candidates are drawn independently of reaching the node).
    /// </summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="candidates">The realised candidates (their count is k).</param>
    /// <returns>The acceptance probability.</returns>
    public static double ExpectedAcceptance(ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> candidates)
    {
        int support = 0;
        foreach (double w in q)
        {
            support += w > 0 ? 1 : 0;
        }

        int k = candidates.Length;
        double outcomes = 1;
        for (int i = 0; i < k && outcomes <= ExactOutcomeLimit; i++)
        {
            outcomes *= Math.Max(1, support - i);
        }

        double[] residual = p.ToArray();
        if (outcomes <= ExactOutcomeLimit)
        {
            return Expected(residual, q.ToArray(), new bool[q.Length], 0, k);
        }

        double removed = 0, allRejected = 1;
        foreach (int x in candidates)
        {
            allRejected *= 1 - AcceptanceProbability(residual, q, removed, x);
            RecursiveRejectionVerifier.Update(residual, q, 1.0 / (1.0 - removed));
            removed += q[x];
        }

        return 1 - allRejected;
    }

    /// <inheritdoc />
    /// <remarks>Exact on small supports, else given the realised candidates (see <see cref="ExpectedAcceptance(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int})"/>).</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => NodeWithoutDraftLaw.TryExpectedAcceptance(node, out double acceptance) ? acceptance
            : ExpectedAcceptance(Distribution.Scaled(node.Target, node.TargetScale), Distribution.Scaled(node.Draft, node.DraftScale), node.Candidates);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (NodeWithoutDraftLaw.TryVerify(node, random, out var settled))
        {
            return settled;
        }

        // p' = p until the first update (the copy is made only then); p'(x) = current[x] * scale, q(x) = Draft[x] * sq
        // (lazily normalised inputs); an update leaves p' normalised (scale 1).
        ReadOnlySpan<double> q = node.Draft;
        ReadOnlySpan<double> current = node.Target;
        Span<double> residual = node.Scratch[..node.Target.Length];
        double scale = node.TargetScale, sq = node.DraftScale;
        double removed = 0;
        for (int i = 0; i < node.Candidates.Length; i++)
        {
            int x = node.Candidates[i];
            bool repeated = node.Candidates[..i].IndexOf(x) >= 0;
            if (!repeated && random.NextBernoulli(Accept(current[x] * scale, q[x] * sq, removed)))
            {
                return new VerificationResult(x, i);
            }

            if (repeated || removed >= 1.0)
            {
                continue;
            }

            if (current != residual)
            {
                node.Target.CopyTo(residual);
                current = residual;
            }

            // max(0, p' - q / (1 - removed)) normalised, in the units of current.
            if (RecursiveRejectionVerifier.Update(residual, q, sq / (1.0 - removed) / scale))
            {
                scale = 1.0;
            }

            removed += q[x] * sq;
        }

        return VerificationResult.Recovered(random.NextCategorical(current));
    }

    // Exact expectation over ordered draws without replacement: sum_x q'(x) [a(x) + (1 - a(x)) E(rest)].
    private static double Expected(double[] residual, double[] q, bool[] removed, double removedMass, int left)
    {
        if (left == 0 || removedMass >= 1.0)
        {
            return 0;
        }

        double total = 0;
        for (int x = 0; x < q.Length; x++)
        {
            if (removed[x] || q[x] <= 0)
            {
                continue;
            }

            double draw = q[x] / (1.0 - removedMass);
            double accept = AcceptanceProbability(residual, q, removedMass, x);
            double next = 0;
            if (accept < 1 && left > 1)
            {
                double[] updated = (double[])residual.Clone();
                RecursiveRejectionVerifier.Update(updated, q, 1.0 / (1.0 - removedMass));
                removed[x] = true;
                next = Expected(updated, q, removed, removedMass + q[x], left - 1);
                removed[x] = false;
            }

            total += draw * (accept + (1 - accept) * next);
        }

        return total;
    }
}
