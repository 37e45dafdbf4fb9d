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
/// <c>1 - (1 - beta)^k &lt;= rho * beta</c> (found by Illinois regula falsi: the left side falls and the right side rises with rho).
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
public sealed class KSeqVerifier : ISpeculativeVerifier
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
        double beta = 0;
        for (int i = 0; i < p.Length; i++)
        {
            beta += Math.Min(q[i], p[i] / rho);
        }

        return beta;
    }

    /// <summary>Probability that at least one of k drafts passes: <c>1 - (1 - beta)^k</c>.</summary>
    /// <param name="beta">One draft's pass probability.</param>
    /// <param name="draftCount">k.</param>
    /// <returns>The probability.</returns>
    public static double AnyPasses(double beta, int draftCount)
        => draftCount == 1 || beta >= 1 ? Math.Min(1.0, beta) : 1.0 - Math.Pow(1.0 - Math.Max(0, beta), draftCount);

    /// <summary>The smallest rho in [1, k] with <c>1 - (1 - beta(rho))^k &lt;= rho * beta(rho)</c>, to a relative 1e-12 (the returned rho is always feasible, so the rule stays exact).</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="draftCount">k, at least 1.</param>
    /// <returns>rho.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="draftCount"/> is below 1.</exception>
    public static double SolveRho(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(draftCount, 1);
        if (draftCount == 1 || IsFeasible(p, q, draftCount, 1.0))
        {
            return 1.0;
        }

        // f(rho) = 1 - (1 - beta)^k - rho * beta is decreasing and f(k) <= 0 (Bernoulli's inequality).
        // Bisection only visits the tokens whose term min(q, p/rho) can switch (q > 0, p > q); the others
        // contribute p/rho (or 0) for every rho >= 1, so they are summed once.
        int vocabulary = p.Length;
        double[] switching = System.Buffers.ArrayPool<double>.Shared.Rent(3 * vocabulary);
        try
        {
            double fixedMass = 0;
            int count = 0;
            for (int i = 0; i < vocabulary; i++)
            {
                if (q[i] <= 0)
                {
                    continue;
                }

                if (p[i] <= q[i])
                {
                    fixedMass += p[i];
                }
                else
                {
                    switching[count] = p[i];
                    switching[vocabulary + count] = q[i];
                    count++;
                }
            }

            var ps = switching.AsSpan(0, count);
            var qs = switching.AsSpan(vocabulary, count);
            var terms = switching.AsSpan(2 * vocabulary, count);

            // Illinois (regula falsi) on the decreasing f keeps a bracket [lo, hi] with hi feasible and
            // converges in a handful of passes; any feasible rho keeps the rule exact, so the stopping
            // tolerance only bounds how far from the optimal rho (and acceptance) we may stop.
            double Gap(double rho, Span<double> t, ReadOnlySpan<double> pp, ReadOnlySpan<double> qq)
            {
                TensorPrimitives.Multiply(pp, 1.0 / rho, t);
                TensorPrimitives.Min(t, qq, t);
                double beta = fixedMass / rho + TensorPrimitives.Sum<double>(t);
                return AnyPasses(beta, draftCount) - rho * beta;
            }

            double lo = 1.0, hi = draftCount;
            double fLo = Gap(lo, terms, ps, qs), fHi = Gap(hi, terms, ps, qs);
            int side = 0;
            for (int iteration = 0; iteration < 100 && hi - lo > 1e-12 * hi && fHi < 0; iteration++)
            {
                double mid = fLo - fHi > 0 ? hi - fHi * (hi - lo) / (fHi - fLo) : 0.5 * (lo + hi);
                if (!(mid > lo && mid < hi))
                {
                    mid = 0.5 * (lo + hi);
                }

                double fMid = Gap(mid, terms, ps, qs);
                if (fMid <= 0)
                {
                    hi = mid;
                    fHi = fMid;
                    if (side == 1)
                    {
                        fLo *= 0.5;
                    }

                    side = 1;
                }
                else
                {
                    lo = mid;
                    fLo = fMid;
                    if (side == -1)
                    {
                        fHi *= 0.5;
                    }

                    side = -1;
                }
            }

            // The summation order above differs from Beta's: confirm feasibility with the canonical sum.
            // Steps grow geometrically, so a few passes at most; k itself is always feasible.
            for (double step = 1e-14; hi < draftCount && !IsFeasible(p, q, draftCount, hi); step *= 4)
            {
                hi = Math.Min(draftCount, hi * (1 + step));
            }

            return hi;
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(switching);
        }
    }

    /// <summary>Probability of accepting candidate <paramref name="token"/>: <c>min(1, p(x) / (rho q(x)))</c>, 0 when q(x) = 0.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="rho">The scale from <see cref="SolveRho"/>.</param>
    /// <param name="token">The candidate.</param>
    /// <returns>The acceptance probability.</returns>
    public static double AcceptanceProbability(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double rho, int token)
    {
        double qx = q[token];
        return qx <= 0 ? 0 : Math.Min(1.0, p[token] / (rho * qx));
    }

    /// <summary>Writes the unnormalised residual <c>max(0, p - min(q, p/rho) (1 - (1 - beta)^k) / beta)</c> and returns its mass.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="rho">The scale from <see cref="SolveRho"/>.</param>
    /// <param name="draftCount">k.</param>
    /// <param name="destination">Receives the residual.</param>
    /// <returns>The residual mass.</returns>
    public static double Residual(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double rho, int draftCount, Span<double> destination)
    {
        double beta = Beta(p, q, rho);
        double scale = beta > 0 ? AnyPasses(beta, draftCount) / beta : 0;
        double mass = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double r = p[i] - Math.Min(q[i], p[i] / rho) * scale;
            r = r > 0 ? r : 0;
            destination[i] = r;
            mass += r;
        }

        return mass;
    }

    /// <summary>Expected probability (over k i.i.d. drafts) that the rule accepts a draft: <c>1 - (1 - beta(rho))^k</c>.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="draftCount">k.</param>
    /// <returns>The acceptance probability (the residual may still land on a drafted token; that is not counted).</returns>
    public static double ExpectedAcceptance(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount)
        => AnyPasses(Beta(p, q, SolveRho(p, q, draftCount)), draftCount);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (NodeWithoutDraftLaw.TryVerify(node, random, out var settled))
        {
            return settled;
        }

        ReadOnlySpan<double> p = node.Target, q = node.Draft;
        int k = node.Candidates.Length;
        double rho = SolveRho(p, q, k);
        for (int i = 0; i < k; i++)
        {
            int x = node.Candidates[i];
            if (random.NextBernoulli(AcceptanceProbability(p, q, rho, x)))
            {
                return new VerificationResult(x, i);
            }
        }

        double mass = Residual(p, q, rho, k, node.Scratch);
        ReadOnlySpan<double> residual = mass > 0 ? node.Scratch[..p.Length] : p;
        return VerificationResult.Recovered(random.NextCategorical(residual));
    }

    private static bool IsFeasible(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount, double rho)
    {
        double beta = Beta(p, q, rho);
        return AnyPasses(beta, draftCount) <= rho * beta;
    }
}
