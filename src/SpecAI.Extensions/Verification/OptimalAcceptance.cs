using System.Buffers;
using SpecAI.Extensions.Drafting;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// The best acceptance any lossless verifier can reach for a draft law (a diagnostic), and the acceptance
/// the verifiers of this library reach, at one node.
/// </summary>
/// <remarks>
/// <para>Optimum (Sun et al. 2023, SpecTr, arXiv:2310.15141; Hu et al. 2025, arXiv:2502.18779): the
/// probability that the committed token is one of the drafts is at most
/// <c>a* = min over token sets G of 1 + p(G) - Q(all drafts in G)</c>, and max-flow / min-cut makes it an
/// equality. For drafts drawn with replacement <c>Q = q(G)^k</c>, and the minimising G is a prefix of the
/// tokens sorted by p/q (an exchange argument: a token in G and one outside it can be swapped unless the
/// ratios are ordered), so a scan costs O(V log V). The same prefix scan is used for draws without
/// replacement (checked against the minimum over all subsets in the tests), with the probability that all
/// k draws land in G computed exactly for k &lt;= 2 (<c>Q = s A - B</c>, <c>A = sum q/(1-q)</c>, <c>B = sum q^2/(1-q)</c>
/// over G, s = q(G)), when q has at most k tokens (the drafts are then its whole support), or when q's
/// support has at most <see cref="ExactOutcomeLimit"/> ordered k-tuples. Otherwise (k &gt;= 3 on a large
/// vocabulary) it uses the lower bound <c>Q &gt;= prod_(j &lt; k) (s - m_j) / (1 - m_j)</c>, m_j the j largest q
/// in G, and the result is an UPPER bound on a*. Greedy draft sampling has the closed form
/// <c>p(T) + sum_(x not in T) min(p, q')</c>; deterministic drafts have <c>p(drafts)</c>.</para>
/// <para>Achieved: the expected probability that the verifier accepts a draft, over the draft law, from
/// each verifier's closed form, <see cref="ISpeculativeVerifier.ExpectedAcceptance"/> (standard: <c>sum min(p, q)</c>; K-SEQ: <c>1 - (1 - beta)^k</c>; recursive
/// rejection: a product over stages; greedy draft: equal to the optimum). For recursive rejection without
/// replacement it is exact on small supports and otherwise the acceptance given the realised candidates
/// (an unbiased estimate). K-SEQ's residual can also land on a drafted token; that is not counted.</para>
/// </remarks>
internal static class OptimalAcceptance
{
    /// <summary>Largest number of ordered k-tuples of q's support for which draws without replacement are summed exactly.</summary>
    public const int ExactOutcomeLimit = 4096;

    /// <summary>Optimal acceptance for k drafts drawn from q independently (with replacement).</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="draftCount">k, at least 1.</param>
    /// <returns>a*.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="draftCount"/> is below 1.</exception>
    public static double WithReplacement(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount)
    {
        Check(p, q, draftCount);
        return Scan(p, q, draftCount, withReplacement: true);
    }

    /// <summary>Optimal acceptance for k drafts drawn from q without replacement (exact or an upper bound; see remarks).</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="draftCount">k, at least 1.</param>
    /// <returns>a*, or an upper bound on it for k &gt;= 3 on a large support.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="draftCount"/> is below 1.</exception>
    public static double WithoutReplacement(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount)
    {
        Check(p, q, draftCount);
        int support = 0;
        double supportMass = 0;
        for (int i = 0; i < q.Length; i++)
        {
            if (q[i] > 0)
            {
                support++;
                supportMass += p[i];
            }
        }

        // Fewer tokens than drafts: the drafts are q's whole support, deterministically.
        return support <= draftCount ? Math.Min(1.0, supportMass) : Scan(p, q, draftCount, withReplacement: false);
    }

    /// <summary>Optimal acceptance of greedy draft sampling with deterministic tokens <paramref name="top"/>: <c>p(T) + sum_(x not in T) min(p(x), q'(x))</c>.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="top">The deterministic tokens T.</param>
    /// <returns>a*.</returns>
    public static double GreedyDraft(ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> top)
        => GreedyDraftVerifier.ExpectedAcceptance(p, q, top);

    /// <summary>Optimal acceptance for the draft law of <paramref name="scheme"/> at a node with these candidates.</summary>
    /// <param name="scheme">How the candidates were drawn.</param>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="candidates">The candidates (their count is k; greedy draft and top-k read the deterministic ones).</param>
    /// <returns>a* (see <see cref="WithoutReplacement"/> for when it is a bound).</returns>
    /// <exception cref="ArgumentOutOfRangeException">Unknown scheme, or no candidate.</exception>
    public static double Optimal(DraftScheme scheme, ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> candidates)
    {
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Length, nameof(candidates));
        return scheme switch
        {
            DraftScheme.Independent => WithReplacement(p, q, candidates.Length),
            DraftScheme.WithoutReplacement => WithoutReplacement(p, q, candidates.Length),
            DraftScheme.GreedyDraft => GreedyDraft(p, q, candidates[..^1]),
            DraftScheme.TopK => TopKVerifier.AcceptanceProbability(p, candidates),
            _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown draft scheme."),
        };
    }

    /// <summary>The acceptance probability <paramref name="verifier"/> reaches at a node (see remarks); NaN for a lossy verifier.</summary>
    /// <param name="verifier">The verifier.</param>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="candidates">The candidates at the node.</param>
    /// <param name="scratch">A buffer of p's length.</param>
    /// <returns>The acceptance probability.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No candidate.</exception>
    public static double Achieved(ISpeculativeVerifier verifier, ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> candidates, Span<double> scratch)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Length, nameof(candidates));
        if (!verifier.IsLossless)
        {
            return double.NaN;
        }

        // Each rule states its own closed form (ISpeculativeVerifier.ExpectedAcceptance): no list of kinds here.
        return verifier.ExpectedAcceptance(new VerificationNode(p, q, candidates, scratch));
    }

    private static void Check(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount)
    {
        if (p.Length != q.Length)
        {
            throw new ArgumentException($"Distribution lengths differ: p {p.Length}, q {q.Length}.", nameof(q));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(draftCount, 1);
    }

    // min over prefixes G of the tokens sorted by p/q of 1 + p(G) - Q(all drafts in G); the empty set gives 1.
    private static double Scan(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int k, bool withReplacement)
    {
        int length = p.Length;
        double[] keys = ArrayPool<double>.Shared.Rent(length);
        int[] order = ArrayPool<int>.Shared.Rent(length);
        try
        {
            int count = 0;
            for (int i = 0; i < length; i++)
            {
                // A token with q = 0 only adds p to G: it never helps. p = 0 sorts first.
                if (q[i] > 0)
                {
                    keys[count] = p[i] / q[i];
                    order[count++] = i;
                }
            }

            keys.AsSpan(0, count).Sort(order.AsSpan(0, count));
            bool exact = withReplacement || k <= 2 || TupleCount(count, k) <= ExactOutcomeLimit;
            Span<double> largest = k <= 16 ? stackalloc double[k] : new double[k];
            largest.Clear();
            double best = 1.0, pG = 0, s = 0, a = 0, b = 0;
            for (int j = 0; j < count; j++)
            {
                int x = order[j];
                double qx = q[x];
                pG += p[x];
                s += qx;
                a += qx / (1 - qx);
                b += qx * qx / (1 - qx);
                Insert(largest, qx);
                double all = withReplacement ? Math.Pow(Math.Min(1.0, s), k)
                    : k == 1 ? s
                    : k == 2 ? s * a - b
                    : exact ? AllDrawsIn(q, order.AsSpan(0, j + 1), k)
                    : LowerBound(s, largest);
                best = Math.Min(best, 1 + pG - all);
            }

            return Math.Clamp(best, 0.0, 1.0);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    private static double TupleCount(int support, int k)
    {
        double tuples = 1;
        for (int i = 0; i < k; i++)
        {
            tuples *= Math.Max(1, support - i);
        }

        return tuples;
    }

    // Keeps the k - 1 largest values seen, in descending order (slot k - 1 unused).
    private static void Insert(Span<double> largest, double value)
    {
        for (int i = 0; i < largest.Length - 1; i++)
        {
            if (value > largest[i])
            {
                (largest[i], value) = (value, largest[i]);
            }
        }
    }

    // P(all k draws in G) >= prod_(j < k) (s - m_j) / (1 - m_j): (s - m) / (1 - m) falls as the mass m drawn grows.
    private static double LowerBound(double s, ReadOnlySpan<double> largest)
    {
        double product = 1, drawn = 0;
        for (int j = 0; j < largest.Length; j++)
        {
            product *= Math.Max(0, s - drawn) / (1 - drawn);
            drawn += largest[j];
        }

        return product;
    }

    // Exact P(all k draws without replacement land in G), summing over ordered draws inside G.
    private static double AllDrawsIn(ReadOnlySpan<double> q, ReadOnlySpan<int> g, int k)
    {
        Span<bool> used = g.Length <= 256 ? stackalloc bool[g.Length] : new bool[g.Length];
        return AllDrawsIn(q, g, k, used, 0);
    }

    private static double AllDrawsIn(ReadOnlySpan<double> q, ReadOnlySpan<int> g, int left, Span<bool> used, double removed)
    {
        if (left == 0)
        {
            return 1;
        }

        double total = 0;
        for (int i = 0; i < g.Length; i++)
        {
            if (!used[i])
            {
                used[i] = true;
                total += q[g[i]] / (1 - removed) * AllDrawsIn(q, g, left - 1, used, removed + q[g[i]]);
                used[i] = false;
            }
        }

        return total;
    }
}
