using System.Numerics.Tensors;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// SpecTr K-SEQ (Sun et al. 2023, "SpecTr: Fast Speculative Decoding via Optimal Transport",
/// arXiv:2310.15141): k independent drafts from q, tried in order against a scaled-down target. Lossless.
/// </summary>
/// <remarks>
/// <para>Rule. <c>beta(rho) = sum_x min(q(x), p(x) / rho)</c>; rho is the smallest value in [1, k] with
/// <c>1 - (1 - beta)^k &lt;= rho * beta</c> (found by bracketed Newton steps over vectorised multi-point evaluations of beta: the left side falls and the right side rises with rho).
/// Candidate i is accepted with probability <c>min(1, p(x_i) / (rho q(x_i)))</c>; when none is, the token is
/// drawn from <c>p_res ∝ max(0, p - min(q, p / rho) * (1 - (1 - beta)^k) / beta)</c>.</para>
/// <para>Why it is exact: each candidate passes with probability beta and, when it does, is distributed as
/// <c>min(q, p/rho) / beta</c>; so a token is accepted with law <c>min(q, p/rho) (1 - (1 - beta)^k) / beta</c>,
/// which the constraint keeps below p, and the residual supplies exactly the rest. Any feasible rho is
/// exact; the smallest accepts most. k = 1 gives rho = 1: standard speculative sampling.</para>
/// <para>Edge cases: q(x) = 0 rejects; beta = 0 (disjoint supports) leaves p as the residual; zero residual
/// mass (rounding) falls back to p; an empty q (deterministic candidates) is verified by
/// <see cref="TopKVerifier.VerifyDeterministic"/>. Over a tree the candidates at a node are the drafts still
/// alive there, duplicates kept: they are i.i.d. from q given the committed prefix.</para>
/// </remarks>
internal sealed partial class KSeqVerifier : ISpeculativeVerifier
{
    /// <summary>The shared instance.</summary>
    public static KSeqVerifier Instance { get; } = new();

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.KSeq;

    /// <inheritdoc />
    public bool IsLossless => true;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.Independent;

    /// <summary><c>beta(rho) = sum_x min(q(x), p(x) / rho)</c>: the probability that one draft passes.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="rho">The scale, at least 1.</param>
    /// <returns>beta.</returns>
    public static double Beta(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double rho)
    {
        Span<double> beta = stackalloc double[1];
        Betas(p, q, 1.0, [rho], beta);
        return beta[0];
    }

    /// <summary>Probability that at least one of k drafts passes: <c>1 - (1 - beta)^k</c>.</summary>
    /// <param name="beta">One draft's pass probability.</param>
    /// <param name="draftCount">k.</param>
    /// <returns>The probability.</returns>
    public static double AnyPasses(double beta, int draftCount)
        => draftCount == 1 || beta >= 1 ? Math.Min(1.0, beta) : 1.0 - Math.Pow(1.0 - Math.Max(0, beta), draftCount);

    /// <summary>The smallest rho in [1, k] with <c>1 - (1 - beta(rho))^k &lt;= rho * beta(rho)</c>, to a relative 2e-10 (the returned rho is always feasible, so the rule stays exact).</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="draftCount">k, at least 1.</param>
    /// <returns>rho.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="draftCount"/> is below 1.</exception>
    public static double SolveRho(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount) => Solve(p, q, draftCount, 1.0, 1.0, out _, out _);

    /// <summary>As <see cref="SolveRho(ReadOnlySpan{double}, ReadOnlySpan{double}, int)"/>, with the beta(rho) the residual would use and whether the window pass settled rho.</summary>
    internal static double SolveRhoAndBeta(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount, out double beta, out bool inWindow)
        => Solve(p, q, draftCount, 1.0, 1.0, out beta, out inWindow);

    // rho for p = Target * sp, q = Draft * sq (ratio = sp / sq): beta(rho) = sq * sum min(q, p * ratio / rho), which the
    // passes sum over the raw weights; beta returns beta(rho) for the residual.
    private static double Solve(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount, double ratio, double sq, out double beta, out bool inWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(draftCount, 1);
        beta = double.NaN;
        inWindow = false;
        if (draftCount == 1)
        {
            return 1.0;
        }

        // f(rho) = 1 - (1 - beta)^k - rho * beta falls with rho and f(k) <= 0 (Bernoulli's inequality). Reading p and q
        // is the cost, so each pass evaluates f at several points: first rho = 1 and three more across [1, k] (a
        // bracket a third as wide), then Newton steps, each from the pair (x, x (1 + h)) that also measures the slope.
        // The bracket [lo, hi] keeps f(hi) <= 0 by the very sums (Betas) the residual and the acceptance use, so hi is
        // always feasible and the rule exact; the iteration stops when the bracket is 2h wide (relative).
        Span<double> rhos = stackalloc double[4];
        Span<double> betas = stackalloc double[4];
        Span<double> f = stackalloc double[4];
        for (int j = 0; j < 4; j++)
        {
            rhos[j] = j == 3 ? draftCount : 1 + (draftCount - 1) * j / 3.0;
        }

        new Evaluator(p, q, draftCount, ratio, sq).Gaps(rhos, betas, f);
        if (f[0] <= 0)
        {
            beta = betas[0];
            return 1.0;
        }

        double lo = 1.0, fLo = f[0], hi = draftCount, fHi = f[3];
        beta = betas[3];
        for (int j = 1; j < 4; j++)
        {
            if (f[j] <= 0)
            {
                (hi, fHi, beta) = (rhos[j], f[j], betas[j]);
                break;
            }

            (lo, fLo) = (rhos[j], f[j]);
        }

        double x = Interpolate(rhos, betas, lo, hi, draftCount);
        var passes = new Evaluator(p, q, draftCount, ratio, sq);
        if (hi - lo > 2 * Stencil * hi && fHi < 0 && SolveInWindow(ref passes, ref lo, ref fLo, ref hi, ref fHi, ref beta, ref x))
        {
            inWindow = true;
            return hi;
        }

        Newton(ref passes, ref lo, ref fLo, ref hi, ref fHi, ref beta, x);
        return hi;
    }

    // Bracketed Newton steps, each from the pair (x, x (1 + h)) that also measures the slope, until the bracket [lo, hi]
    // is 2h wide (relative); f(hi) <= 0 throughout, so hi is feasible.
    private static void Newton(ref Evaluator evaluator, ref double lo, ref double fLo, ref double hi, ref double fHi, ref double beta, double x)
    {
        Span<double> rhos = stackalloc double[2];
        Span<double> betas = stackalloc double[2];
        Span<double> f = stackalloc double[2];
        for (int pass = 0; pass < 64 && hi - lo > 2 * Stencil * hi && fHi < 0; pass++)
        {
            double a = x, b = x * (1 + Stencil);
            if (b >= hi)
            {
                (a, b) = (Math.Max(lo, hi / (1 + Stencil)), hi);
            }

            rhos[0] = a;
            rhos[1] = b;
            evaluator.Gaps(rhos, betas, f);
            if (f[0] <= 0)
            {
                (hi, fHi, beta) = (a, f[0], betas[0]);
            }
            else
            {
                (lo, fLo) = (a, f[0]);
            }

            if (f[1] <= 0 && b < hi)
            {
                (hi, fHi, beta) = (b, f[1], betas[1]);
            }
            else if (f[1] > 0 && b > lo)
            {
                (lo, fLo) = (b, f[1]);
            }

            double slope = (f[1] - f[0]) / (b - a);
            x = slope < 0 ? a - f[0] / slope : double.NaN;
            if (!(x > lo && x < hi))
            {
                x = Secant(lo, fLo, hi, fHi);
            }
        }
    }

    /// <summary>Probability of accepting candidate <paramref name="token"/>: <c>min(1, p(x) / (rho q(x)))</c>, 0 when q(x) = 0.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="rho">The scale from <see cref="SolveRho"/>.</param>
    /// <param name="token">The candidate.</param>
    /// <returns>The acceptance probability.</returns>
    public static double AcceptanceProbability(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double rho, int token)
        => Accept(p[token], q[token], rho);

    /// <summary>Writes the unnormalised residual <c>max(0, p - min(q, p/rho) (1 - (1 - beta)^k) / beta)</c> and returns its mass.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="rho">The scale from <see cref="SolveRho"/>.</param>
    /// <param name="draftCount">k.</param>
    /// <param name="destination">Receives the residual.</param>
    /// <returns>The residual mass.</returns>
    public static double Residual(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double rho, int draftCount, Span<double> destination)
        => Residual(p, q, rho, draftCount, double.NaN, 1.0, 1.0, destination);

    // The residual divided by sp for p = Target * sp, q = Draft * sq (ratio = sp / sq), given beta(rho) when the solve
    // has already summed it (NaN otherwise): p - min(q, p ratio / rho) * (1 - (1 - beta)^k) / (beta ratio).
    private static double Residual(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double rho, int draftCount, double beta, double ratio, double sq, Span<double> destination)
    {
        if (double.IsNaN(beta))
        {
            Span<double> sum = stackalloc double[1];
            Betas(p, q, ratio, [rho], sum);
            beta = sq * sum[0];
        }

        double scale = beta > 0 ? AnyPasses(beta, draftCount) / beta / ratio : 0;

        // r = p - min(q, p * ratio / rho) * scale, clamped at 0, block by block so that each block is written once and
        // summed while in L1.
        double mass = 0, inverse = ratio / rho;
        for (int start = 0; start < p.Length; start += Block)
        {
            int n = Math.Min(Block, p.Length - start);
            var r = destination.Slice(start, n);
            ResidualBlock(p.Slice(start, n), q.Slice(start, n), inverse, scale, r);
            mass += TensorPrimitives.Sum<double>(r);
        }

        return mass;
    }

    // One block of the residual: p - min(q, p * inverse) * scale, clamped at 0.
    private static void ResidualBlock(ReadOnlySpan<double> pb, ReadOnlySpan<double> qb, double inverse, double scale, Span<double> r)
    {
        TensorPrimitives.Multiply(pb, inverse, r);
        TensorPrimitives.Min(r, qb, r);
        TensorPrimitives.MultiplyAdd(r, -scale, pb, r);
        TensorPrimitives.Max(r, 0.0, r);
    }

    // A token from the residual (as Residual writes it) without writing it: the block sums in one read of p and q, a block
    // drawn by its sum, and that block formed again by the same operations for the draw inside it; -1 when it has no mass.
    private static int SampleResidual(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double rho, int draftCount, double beta, double ratio, IRandomSource random)
    {
        double scale = beta > 0 ? AnyPasses(beta, draftCount) / beta / ratio : 0;
        double mass = 0, inverse = ratio / rho;
        int blocks = Distribution.BlockCount(p.Length);
        Span<double> blockSums = blocks <= 2048 ? stackalloc double[blocks] : new double[blocks];
        Span<double> buffer = stackalloc double[Block];
        for (int start = 0, b = 0; start < p.Length; start += Block, b++)
        {
            int n = Math.Min(Block, p.Length - start);
            ResidualBlock(p.Slice(start, n), q.Slice(start, n), inverse, scale, buffer[..n]);
            blockSums[b] = TensorPrimitives.Sum<double>(buffer[..n]);
            mass += blockSums[b];
        }

        if (!(mass > 0))
        {
            return -1;
        }

        int chosen = random.NextCategorical(blockSums);
        int first = chosen * Block, count = Math.Min(Block, p.Length - first);
        ResidualBlock(p.Slice(first, count), q.Slice(first, count), inverse, scale, buffer[..count]);
        return first + random.NextCategorical(buffer[..count]);
    }

    /// <summary>Expected probability (over k i.i.d. drafts) that the rule accepts a draft: <c>1 - (1 - beta(rho))^k</c>.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="draftCount">k.</param>
    /// <returns>The acceptance probability (the residual may still land on a drafted token; that is not counted).</returns>
    public static double ExpectedAcceptance(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount)
        => AnyPasses(Beta(p, q, SolveRho(p, q, draftCount)), draftCount);

    /// <inheritdoc />
    /// <remarks><c>1 - (1 - beta(rho))^k</c> with k the number of candidates (see <see cref="ExpectedAcceptance(ReadOnlySpan{double}, ReadOnlySpan{double}, int)"/>).</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => NodeWithoutDraftLaw.TryExpectedAcceptance(node, out double acceptance) ? acceptance
            : ExpectedAcceptance(Distribution.Scaled(node.Target, node.TargetScale), Distribution.Scaled(node.Draft, node.DraftScale), node.Candidates.Length);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (NodeWithoutDraftLaw.TryVerify(node, random, out var settled))
        {
            return settled;
        }

        // Lazily normalised distributions: p(x) = Target[x] * sp, q(x) = Draft[x] * sq.
        ReadOnlySpan<double> p = node.Target, q = node.Draft;
        double sp = node.TargetScale, sq = node.DraftScale;
        int k = node.Candidates.Length;

        // rho <= k, so a first candidate with p(x) >= k q(x) passes with probability 1 whatever rho is: the same draw
        // as below, without the passes over p and q that solve for rho.
        int first = node.Candidates[0];
        if (Accept(p[first] * sp, q[first] * sq, k) >= 1 && random.NextBernoulli(1.0))
        {
            return new VerificationResult(first, 0);
        }

        if (k == 1)
        {
            // rho = 1: standard speculative sampling, whose residual max(0, p - q) needs no beta (one pass, not two).
            return random.NextBernoulli(Accept(p[first] * sp, q[first] * sq, 1.0)) ? new VerificationResult(first, 0) : StandardVerifier.DrawResidual(node, first, random);
        }

        double rho = Solve(p, q, k, sp / sq, sq, out double beta, out _);
        for (int i = 0; i < k; i++)
        {
            int x = node.Candidates[i];
            if (random.NextBernoulli(Accept(p[x] * sp, q[x] * sq, rho)))
            {
                return new VerificationResult(x, i);
            }
        }

        // The residual is drawn by its block sums and then inside one block formed again: never written out.
        int token = SampleResidual(p, q, rho, k, beta, sp / sq, random);
        return VerificationResult.Recovered(token >= 0 ? token : random.NextCategorical(p));
    }

    // Relative step of the slope-measuring pair; the bracket stops at twice this width, so rho is within 2e-10
    // (relative) of the smallest feasible value (four or five passes over p and q in all, usually).
    private const double Stencil = 1e-10;

    private const int Block = Distribution.Block;

    // The first estimate: beta as a quadratic in 1 / rho through the three first-pass points nearest the bracket
    // (beta is a sum of terms p / rho and q, so it is close to such a quadratic over a third of [1, k]), and f = 0
    // solved on that model by bisection (scalar work only). About 20x closer to the root than regula falsi, which
    // saves a pass over p and q; any estimate inside (lo, hi) is safe, since the bracket alone decides feasibility.
    private static double Interpolate(ReadOnlySpan<double> rhos, ReadOnlySpan<double> betas, double lo, double hi, int draftCount)
    {
        int first = rhos[2] < hi ? 1 : 0;
        double u0 = 1 / rhos[first], u1 = 1 / rhos[first + 1], u2 = 1 / rhos[first + 2];
        double b0 = betas[first], b1 = betas[first + 1], b2 = betas[first + 2];
        double Gap(double rho)
        {
            double u = 1 / rho;
            double beta = (b0 * (u - u1) * (u - u2) / ((u0 - u1) * (u0 - u2)))
                + (b1 * (u - u0) * (u - u2) / ((u1 - u0) * (u1 - u2)))
                + (b2 * (u - u0) * (u - u1) / ((u2 - u0) * (u2 - u1)));
            return AnyPasses(beta, draftCount) - (rho * beta);
        }

        double a = lo, b = hi;
        for (int i = 0; i < 60 && b - a > 1e-12 * b; i++)
        {
            double mid = 0.5 * (a + b);
            (a, b) = Gap(mid) > 0 ? (mid, b) : (a, mid);
        }

        double x = 0.5 * (a + b);
        return x > lo && x < hi ? x : 0.5 * (lo + hi);
    }

    // Regula falsi inside (lo, hi); the midpoint when the secant degenerates.
    private static double Secant(double lo, double fLo, double hi, double fHi)
    {
        double x = fLo - fHi > 0 ? hi - fHi * (hi - lo) / (fHi - fLo) : 0.5 * (lo + hi);
        return x > lo && x < hi ? x : 0.5 * (lo + hi);
    }

    // The rule: min(1, p(x) / (rho q(x))); q(x) = 0 rejects.
    private static double Accept(double px, double qx, double rho) => qx <= 0 ? 0 : Math.Min(1.0, px * (1.0 / rho) / qx);
}
