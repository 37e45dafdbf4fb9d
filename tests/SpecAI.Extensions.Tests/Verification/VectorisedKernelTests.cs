using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

/// <summary>The vectorised verifier kernels against scalar references, over lengths across their block boundaries.</summary>
public class VectorisedKernelTests
{
    private static IEnumerable<int> Lengths() => Enumerable.Range(0, 258).Concat([511, 512, 513, 1023, 1025, 3000]);

    [Fact]
    public void BetaPositivePartAndUpdate_SweepLengths_MatchScalarReferences()
    {
        var rng = new Random(4);
        foreach (int n in Lengths())
        {
            double[] p = n == 0 ? [] : Distributions.Random(rng, n, sparse: true);
            double[] q = n == 0 ? [] : Distributions.Random(rng, n, sparse: true);
            double rho = 1 + 2 * rng.NextDouble();

            double beta = 0;
            for (int i = 0; i < n; i++)
            {
                beta += Math.Min(q[i], p[i] / rho);
            }

            Assert.Equal(beta, KSeqVerifier.Beta(p, q, rho), 1e-13);

            double entropy = 0;
            foreach (double x in p)
            {
                entropy -= x > 0 ? x * Math.Log(x) : 0;
            }

            Assert.Equal(entropy, Distribution.Entropy(p), 1e-12);

            var r = new double[n];
            double mass = Distribution.PositivePart(p, q, 0.7, r);
            double expectedMass = 0;
            for (int i = 0; i < n; i++)
            {
                double e = Math.Max(0, p[i] - 0.7 * q[i]);
                expectedMass += e;
                Assert.Equal(e, r[i], 1e-16);
            }

            Assert.Equal(expectedMass, mass, 1e-13);

            var residual = (double[])p.Clone();
            bool changed = RecursiveRejectionVerifier.Update(residual, q, 1.0);
            double m = p.Zip(q, (a, b) => Math.Max(0, a - b)).Sum();
            Assert.Equal(m > 0, changed);
            for (int i = 0; i < n && changed; i++)
            {
                Assert.Equal(Math.Max(0, p[i] - q[i]) / m, residual[i], 1e-13);
            }
        }
    }

    [Fact]
    public void SolveRho_IsFeasibleAndWithinItsToleranceOfTheSmallestFeasibleRho()
    {
        var rng = new Random(12);
        foreach (int n in new[] { 2, 3, 7, 100, 511, 513, 3000 })
        {
            for (int trial = 0; trial < 6; trial++)
            {
                int k = 2 + trial % 5;
                double[] p = Distributions.Random(rng, n, sparse: trial % 2 == 0);
                double[] q = Distributions.Random(rng, n, sparse: trial % 3 == 0);
                double rho = KSeqVerifier.SolveRho(p, q, k);
                Assert.InRange(rho, 1.0, k);
                Assert.True(Gap(p, q, k, rho) <= 0, $"V={n}, k={k}: rho {rho} is not feasible");

                // Reference: bisection to 1e-14 on the same (monotone) gap.
                double lo = 1, hi = k;
                if (Gap(p, q, k, 1) <= 0)
                {
                    hi = 1;
                }

                for (int i = 0; i < 200 && hi - lo > 1e-14; i++)
                {
                    double mid = 0.5 * (lo + hi);
                    (lo, hi) = Gap(p, q, k, mid) <= 0 ? (lo, mid) : (mid, hi);
                }

                Assert.True(rho <= hi * (1 + 1e-9), $"V={n}, k={k}: rho {rho:R} vs smallest feasible {hi:R}");
            }
        }
    }

    [Fact]
    public void SolveRho_AtLargeVocabularies_SettlesInTheWindowPassWithTheBetaOfAFullPass()
    {
        // Logit-like pairs at 40,000 tokens: the second pass settles rho over the few tokens whose ratio p/q lies within
        // 1e-3 of the first estimate; rho must be as feasible and as small as the passes' bisection says, and the beta
        // it hands the residual that of a full pass. The proportional pairs (q = p on most tokens) put thousands of
        // tokens at one ratio, so the window may overflow and the passes go on: the same answer either way.
        var rng = new Random(25);
        int settledInWindow = 0;
        for (int trial = 0; trial < 12; trial++)
        {
            int n = 40_000, k = 2 + (trial % 3);
            bool proportional = trial >= 9;
            var p = new double[n];
            var q = new double[n];
            for (int i = 0; i < n; i++)
            {
                double logit = Gaussian(rng) * 2.5;
                p[i] = Math.Exp(logit);
                q[i] = proportional && i % 10 != 0 ? p[i] : Math.Exp(logit + (Gaussian(rng) * 0.8));
            }

            Normalise(p);
            Normalise(q);
            double rho = KSeqVerifier.SolveRhoAndBeta(p, q, k, out double beta, out bool inWindow);
            settledInWindow += inWindow ? 1 : 0;
            Assert.True(Gap(p, q, k, rho) <= 0, $"trial {trial}: rho {rho:R} is not feasible");
            double lo = 1, hi = k;
            for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; i++)
            {
                double mid = 0.5 * (lo + hi);
                (lo, hi) = Gap(p, q, k, mid) <= 0 ? (lo, mid) : (mid, hi);
            }

            Assert.True(rho <= hi * (1 + 1e-9), $"trial {trial}: rho {rho:R} vs smallest feasible {hi:R}");
            Assert.Equal(KSeqVerifier.Beta(p, q, rho), beta, 1e-13);
        }

        Assert.True(settledInWindow >= 6, $"the window pass settled rho in {settledInWindow} of 12 trials");
    }

    [Fact]
    public void SamplePositivePart_DrawsWhatTheWrittenResidualDraws()
    {
        // The residual formed block by block and never written must give the same two draws, over the same numbers, as
        // the written residual and its block sums: the same token from the same random stream, every time.
        var rng = new Random(3);
        foreach (int n in new[] { 1, 511, 512, 513, 5000 })
        {
            double[] p = Distributions.Random(rng, n, sparse: false);
            double[] q = Distributions.Random(rng, n, sparse: true);
            var written = new double[n];
            var sums = new double[Distribution.BlockCount(n)];
            double mass = Distribution.PositivePart(p, q, 0.9, written, sums);
            Assert.True(mass > 0);
            var a = new SeededRandomSource(11);
            var b = new SeededRandomSource(11);
            for (int draw = 0; draw < 300; draw++)
            {
                Assert.Equal(Distribution.SampleByBlocks(written, sums, a), Distribution.SamplePositivePart(p, q, 0.9, b));
            }
        }

        Assert.Equal(-1, Distribution.SamplePositivePart([0.5, 0.5], [0.5, 0.5], 1.0, new SeededRandomSource(1)));
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static void Normalise(double[] values)
    {
        double sum = values.Sum();
        for (int i = 0; i < values.Length; i++)
        {
            values[i] /= sum;
        }
    }

    private static double Gap(double[] p, double[] q, int k, double rho)
    {
        double beta = KSeqVerifier.Beta(p, q, rho);
        return KSeqVerifier.AnyPasses(beta, k) - rho * beta;
    }
}
