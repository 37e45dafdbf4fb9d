using System.Numerics.Tensors;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Recursive rejection sampling over k independent drafts from q (with replacement). Lossless.
/// </summary>
/// <remarks>
/// <para>SpecInfer (Miao et al. 2024, arXiv:2305.09781); Multi-Candidate Speculative Decoding (Yang et al.
/// 2024, arXiv:2401.06706). Rule, starting from <c>p' = p</c>: candidate x is accepted with
/// <c>min(1, p'(x) / q(x))</c>; on rejection <c>p' &lt;- norm(max(0, p' - q))</c>; when every candidate is
/// rejected the token is drawn from p'. Each stage is standard speculative sampling of p' against q, so
/// the committed token follows p whatever the number of candidates.</para>
/// <para>Edge cases: q(x) = 0 rejects; a residual of zero mass (p' = q up to rounding) keeps p'; an empty q
/// (deterministic candidates) is verified by <see cref="TopKVerifier.VerifyDeterministic"/>. Candidates
/// drawn without replacement, or deduplicated, must NOT be verified with this update (not lossless; use
/// <see cref="RecursiveRejectionWithoutReplacementVerifier"/>).</para>
/// </remarks>
internal sealed class RecursiveRejectionVerifier : ISpeculativeVerifier
{
    /// <summary>The shared instance.</summary>
    public static RecursiveRejectionVerifier Instance { get; } = new();

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.RecursiveRejection;

    /// <inheritdoc />
    public bool IsLossless => true;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.Independent;

    /// <summary>Probability of accepting <paramref name="token"/> against the current residual: <c>min(1, p'(x) / q(x))</c>, 0 when q(x) = 0.</summary>
    /// <param name="residual">The current residual p' (normalised).</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="token">The candidate.</param>
    /// <returns>The acceptance probability.</returns>
    public static double AcceptanceProbability(ReadOnlySpan<double> residual, ReadOnlySpan<double> q, int token)
        => Accept(residual[token], q[token]);

    /// <summary>Replaces p' by <c>norm(max(0, p' - scale * q))</c> in place; keeps p' when that has no mass.</summary>
    /// <param name="residual">p', normalised; updated in place.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="scale">Multiplier of q (1 with replacement; <c>1 / (1 - removed mass)</c> without).</param>
    /// <returns>Whether p' changed.</returns>
    public static bool Update(Span<double> residual, ReadOnlySpan<double> q, double scale)
    {
        // The mass first, through a stack buffer (p' stays untouched if it is zero), then the update in place.
        Span<double> buffer = stackalloc double[Block];
        double mass = 0;
        for (int start = 0; start < residual.Length; start += Block)
        {
            int n = Math.Min(Block, residual.Length - start);
            var t = buffer[..n];
            TensorPrimitives.MultiplyAdd(q.Slice(start, n), -scale, residual.Slice(start, n), t);
            TensorPrimitives.Max(t, 0.0, t);
            mass += TensorPrimitives.Sum<double>(t);
        }

        if (!(mass > 0))
        {
            return false;
        }

        for (int start = 0; start < residual.Length; start += Block)
        {
            int n = Math.Min(Block, residual.Length - start);
            var r = residual.Slice(start, n);
            TensorPrimitives.MultiplyAdd(q.Slice(start, n), -scale, r, r);
            TensorPrimitives.Max(r, 0.0, r);
            TensorPrimitives.Divide(r, mass, r);
        }

        return true;
    }

    /// <summary>
    /// Expected probability (over k i.i.d. drafts) that a draft is accepted: <c>1 - prod_i (1 - a_i)</c> with
    /// <c>a_i = sum_x min(p_i(x), q(x))</c> and <c>p_(i+1) = norm(max(0, p_i - q))</c>. Exact: with replacement
    /// the residual does not depend on which token was rejected. The final draw from p' never lands on a
    /// rejected candidate, so this is also the probability that the committed token was drafted.
    /// </summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="draftCount">k.</param>
    /// <param name="scratch">A buffer of p's length.</param>
    /// <returns>The acceptance probability.</returns>
    public static double ExpectedAcceptance(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount, Span<double> scratch)
    {
        Span<double> residual = scratch[..p.Length];
        p.CopyTo(residual);
        double allRejected = 1.0;
        for (int i = 0; i < draftCount; i++)
        {
            double accepted = KSeqVerifier.Beta(residual, q, 1.0);

            allRejected *= Math.Max(0, 1.0 - accepted);
            if (!Update(residual, q, 1.0))
            {
                break;
            }
        }

        return 1.0 - allRejected;
    }

    /// <inheritdoc />
    /// <remarks>The product over the k stages (see <see cref="ExpectedAcceptance(ReadOnlySpan{double}, ReadOnlySpan{double}, int, Span{double})"/>); uses <see cref="VerificationNode.Scratch"/>.</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => NodeWithoutDraftLaw.TryExpectedAcceptance(node, out double acceptance) ? acceptance
            : ExpectedAcceptance(Distribution.Scaled(node.Target, node.TargetScale), Distribution.Scaled(node.Draft, node.DraftScale), node.Candidates.Length, node.Scratch);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (NodeWithoutDraftLaw.TryVerify(node, random, out var settled))
        {
            return settled;
        }

        // p' = p until the first rejection (the copy is made only then); p'(x) = current[x] * scale, q(x) = Draft[x] * sq
        // (lazily normalised inputs); an update leaves p' normalised (scale 1).
        ReadOnlySpan<double> current = node.Target;
        Span<double> residual = node.Scratch[..node.Target.Length];
        double scale = node.TargetScale, sq = node.DraftScale;
        for (int i = 0; i < node.Candidates.Length; i++)
        {
            int x = node.Candidates[i];
            if (random.NextBernoulli(Accept(current[x] * scale, node.Draft[x] * sq)))
            {
                return new VerificationResult(x, i);
            }

            if (i == 0)
            {
                node.Target.CopyTo(residual);
                current = residual;
            }

            // max(0, p' - q) normalised = max(0, current - (sq / scale) Draft) normalised.
            if (Update(residual, node.Draft, sq / scale))
            {
                scale = 1.0;
            }
        }

        return VerificationResult.Recovered(random.NextCategorical(current));
    }

    private const int Block = Distribution.Block;

    // The rule: min(1, p'(x) / q(x)); q(x) = 0 rejects.
    private static double Accept(double px, double qx) => qx <= 0 ? 0 : Math.Min(1.0, px / qx);
}
