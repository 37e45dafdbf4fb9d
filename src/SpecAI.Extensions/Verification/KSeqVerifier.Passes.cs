using System.Numerics;
using System.Runtime.InteropServices;

namespace SpecAI.Extensions.Verification;

/// <summary>K-SEQ's passes over p and q: beta at several rhos in one read, and the window pass that settles rho.</summary>
internal sealed partial class KSeqVerifier
{
    // Relative half-width of the window around the first estimate of rho (the quadratic model lands within about 3e-4).
    private const double WindowWidth = 1e-3;

    // Most entries the window keeps; more (p and q nearly proportional over many tokens) and the solve goes on by passes.
    private const int WindowCapacity = 1024;

    /// <summary>
    /// The second pass: settles rho inside <c>[a, b] = x (1 -/+ w)</c> around the first estimate x in one more read of
    /// p and q. For rho in [a, b] every token but a few keeps its branch of <c>min(q, p s)</c> (s = ratio / rho):
    /// <c>p s_b &gt;= q</c> gives q at every such rho, <c>p s_a &lt; q</c> gives p s; the pass sums those two sets and copies
    /// the few tokens in between (the window). Then <c>beta(rho) = qHigh + s pLow + sum_window min(q, p s)</c> exactly
    /// (the same products, so no cancellation), and the bracketed Newton steps run over the window alone: scalar work.
    /// Returns true with rho (hi) and its beta settled; false when the root lies outside [a, b] or the window overflows,
    /// the bracket narrowed where the pass showed it, for the caller's passes to go on from.
    /// </summary>
    private static bool SolveInWindow(ref Evaluator passes, ref double lo, ref double fLo, ref double hi, ref double fHi, ref double beta, ref double x)
    {
        double a = Math.Max(lo, x * (1 - WindowWidth)), b = Math.Min(hi, x * (1 + WindowWidth));
        Span<double> wp = stackalloc double[WindowCapacity];
        Span<double> wq = stackalloc double[WindowCapacity];
        if (!Split(passes.P, passes.Q, passes.Ratio / a, passes.Ratio / b, wp, wq, out int count, out double qHigh, out double pLow))
        {
            return false;
        }

        var window = new Evaluator(wp[..count], wq[..count], passes.DraftCount, passes.Ratio, passes.Sq, qHigh, pLow);
        Span<double> rhos = [a, b];
        Span<double> betas = stackalloc double[2];
        Span<double> f = stackalloc double[2];
        window.Gaps(rhos, betas, f);
        if (f[1] > 0)
        {
            (lo, fLo) = (b, f[1]);
            x = Secant(lo, fLo, hi, fHi);
            return false;
        }

        if (f[0] <= 0)
        {
            (hi, fHi, beta) = (a, f[0], betas[0]);
            x = Secant(lo, fLo, hi, fHi);
            return false;
        }

        (lo, fLo, hi, fHi, beta) = (a, f[0], b, f[1], betas[1]);
        Newton(ref window, ref lo, ref fLo, ref hi, ref fHi, ref beta, x > lo && x < hi ? x : Secant(lo, fLo, hi, fHi));
        return true;
    }

    // The window pass: qHigh = sum of q over {p sb >= q}, pLow = sum of p over {p sa < q} (sa > sb), every other entry
    // copied to (wp, wq); false when they do not fit.
    private static bool Split(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double sa, double sb, Span<double> wp, Span<double> wq, out int count, out double qHigh, out double pLow)
    {
        int n = p.Length, i = 0, c = 0;
        double high = 0, low = 0;
        int width = Vector<double>.Count;
        if (Vector.IsHardwareAccelerated && n >= width)
        {
            var vsa = new Vector<double>(sa);
            var vsb = new Vector<double>(sb);
            var sumHigh = Vector<double>.Zero;
            var sumLow = Vector<double>.Zero;
            ref double pr = ref MemoryMarshal.GetReference(p);
            ref double qr = ref MemoryMarshal.GetReference(q);
            for (; i <= n - width; i += width)
            {
                var vp = Vector.LoadUnsafe(ref pr, (nuint)i);
                var vq = Vector.LoadUnsafe(ref qr, (nuint)i);
                var isHigh = Vector.GreaterThanOrEqual(vp * vsb, vq);
                var isLow = Vector.LessThan(vp * vsa, vq);
                sumHigh += Vector.ConditionalSelect(isHigh, vq, Vector<double>.Zero);
                sumLow += Vector.ConditionalSelect(isLow, vp, Vector<double>.Zero);
                if (!Vector.EqualsAll(isHigh | isLow, Vector<long>.AllBitsSet))
                {
                    // Rare: a lane in the window. The scalar test is the same product and comparison.
                    for (int j = i; j < i + width; j++)
                    {
                        if (!(p[j] * sb >= q[j]) && !(p[j] * sa < q[j]) && !Keep(p[j], q[j], wp, wq, ref c))
                        {
                            (count, qHigh, pLow) = (0, 0, 0);
                            return false;
                        }
                    }
                }
            }

            high = Vector.Sum(sumHigh);
            low = Vector.Sum(sumLow);
        }

        for (; i < n; i++)
        {
            if (p[i] * sb >= q[i])
            {
                high += q[i];
            }
            else if (p[i] * sa < q[i])
            {
                low += p[i];
            }
            else if (!Keep(p[i], q[i], wp, wq, ref c))
            {
                (count, qHigh, pLow) = (0, 0, 0);
                return false;
            }
        }

        (count, qHigh, pLow) = (c, high, low);
        return true;
    }

    private static bool Keep(double p, double q, Span<double> wp, Span<double> wq, ref int count)
    {
        if (count == wp.Length)
        {
            return false;
        }

        (wp[count], wq[count]) = (p, q);
        count++;
        return true;
    }

    // beta at up to four rhos in one read of p and q. With s = ratio / rho, sum min(q, p s) = (sum q + s sum p - sum |q - p s|) / 2:
    // per rho and vector a fused multiply-add, an absolute value and an add, in registers.
    private static void Betas(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double ratio, ReadOnlySpan<double> rhos, Span<double> betas)
    {
        if (q.Length != p.Length)
        {
            throw new ArgumentException($"Distribution lengths differ: p {p.Length}, q {q.Length}.", nameof(q));
        }

        if (rhos.Length is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(rhos), rhos.Length, "One to four points per pass.");
        }

        double s0 = ratio / rhos[0];
        double s1 = ratio / rhos[Math.Min(1, rhos.Length - 1)];
        double s2 = ratio / rhos[Math.Min(2, rhos.Length - 1)];
        double s3 = ratio / rhos[Math.Min(3, rhos.Length - 1)];
        int n = p.Length, i = 0, width = Vector<double>.Count;
        double sumP = 0, sumQ = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        if (Vector.IsHardwareAccelerated && n >= width)
        {
            Vector<double> vs0 = new(-s0), vs1 = new(-s1), vs2 = new(-s2), vs3 = new(-s3);
            Vector<double> ap = default, aq = default, a0 = default, a1 = default, a2 = default, a3 = default;
            ref double pr = ref MemoryMarshal.GetReference(p);
            ref double qr = ref MemoryMarshal.GetReference(q);
            bool four = rhos.Length > 2;
            for (; i <= n - width; i += width)
            {
                var vp = Vector.LoadUnsafe(ref pr, (nuint)i);
                var vq = Vector.LoadUnsafe(ref qr, (nuint)i);
                ap += vp;
                aq += vq;
                a0 += Vector.Abs(Vector.FusedMultiplyAdd(vp, vs0, vq));
                a1 += Vector.Abs(Vector.FusedMultiplyAdd(vp, vs1, vq));
                if (four)
                {
                    a2 += Vector.Abs(Vector.FusedMultiplyAdd(vp, vs2, vq));
                    a3 += Vector.Abs(Vector.FusedMultiplyAdd(vp, vs3, vq));
                }
            }

            (sumP, sumQ) = (Vector.Sum(ap), Vector.Sum(aq));
            (m0, m1, m2, m3) = (Vector.Sum(a0), Vector.Sum(a1), Vector.Sum(a2), Vector.Sum(a3));
        }

        for (; i < n; i++)
        {
            sumP += p[i];
            sumQ += q[i];
            m0 += Math.Abs(Math.FusedMultiplyAdd(p[i], -s0, q[i]));
            m1 += Math.Abs(Math.FusedMultiplyAdd(p[i], -s1, q[i]));
            m2 += Math.Abs(Math.FusedMultiplyAdd(p[i], -s2, q[i]));
            m3 += Math.Abs(Math.FusedMultiplyAdd(p[i], -s3, q[i]));
        }

        Span<double> scales = [s0, s1, s2, s3];
        Span<double> magnitudes = [m0, m1, m2, m3];
        for (int j = 0; j < rhos.Length; j++)
        {
            betas[j] = Math.Max(0, 0.5 * (sumQ + (scales[j] * sumP) - magnitudes[j]));
        }
    }

    /// <summary>f(rho) = 1 - (1 - beta)^k - rho beta at several rhos: by a pass over p and q, or over a window's entries.</summary>
    private readonly ref struct Evaluator
    {
        private readonly double _qHigh;
        private readonly double _pLow;
        private readonly bool _window;

        public Evaluator(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int draftCount, double ratio, double sq)
        {
            P = p;
            Q = q;
            (DraftCount, Ratio, Sq) = (draftCount, ratio, sq);
        }

        public Evaluator(ReadOnlySpan<double> windowP, ReadOnlySpan<double> windowQ, int draftCount, double ratio, double sq, double qHigh, double pLow)
            : this(windowP, windowQ, draftCount, ratio, sq)
        {
            (_qHigh, _pLow, _window) = (qHigh, pLow, true);
        }

        public ReadOnlySpan<double> P { get; }

        public ReadOnlySpan<double> Q { get; }

        public int DraftCount { get; }

        public double Ratio { get; }

        public double Sq { get; }

        public void Gaps(ReadOnlySpan<double> rhos, Span<double> betas, Span<double> gaps)
        {
            if (_window)
            {
                for (int j = 0; j < rhos.Length; j++)
                {
                    double s = Ratio / rhos[j], sum = _qHigh + (_pLow * s);
                    for (int i = 0; i < P.Length; i++)
                    {
                        sum += Math.Min(Q[i], P[i] * s);
                    }

                    betas[j] = sum;
                }
            }
            else
            {
                Betas(P, Q, Ratio, rhos, betas);
            }

            for (int j = 0; j < rhos.Length; j++)
            {
                betas[j] *= Sq;
                gaps[j] = AnyPasses(betas[j], DraftCount) - (rhos[j] * betas[j]);
            }
        }
    }
}
