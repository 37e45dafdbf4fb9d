namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>Pearson's chi-square goodness of fit; cells with expected count below 5 are pooled.</summary>
internal static class ChiSquare
{
    public static (double Statistic, int DegreesOfFreedom, double PValue) Test(IReadOnlyList<long> observed, IReadOnlyList<double> probabilities)
    {
        long total = observed.Sum();
        double statistic = 0, pooledObserved = 0, pooledExpected = 0;
        int cells = 0;
        for (int i = 0; i < observed.Count; i++)
        {
            double expected = probabilities[i] * total;
            if (expected < 5)
            {
                pooledObserved += observed[i];
                pooledExpected += expected;
                continue;
            }

            statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
            cells++;
        }

        if (pooledExpected > 0)
        {
            statistic += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
            cells++;
        }

        int df = Math.Max(1, cells - 1);
        return (statistic, df, UpperTail(statistic, df));
    }

    /// <summary>P(X &gt;= x) for chi-square with df degrees of freedom (Wilson–Hilferty for df &gt; 100, else series).</summary>
    private static double UpperTail(double x, int df)
    {
        double a = df / 2.0, z = x / 2.0;
        if (z <= 0)
        {
            return 1;
        }

        // Regularised lower gamma by series, then Q = 1 - P; continued fraction when z is large.
        double logPrefix = a * Math.Log(z) - z - LogGamma(a);
        if (z < a + 1)
        {
            double term = 1 / a, sum = term;
            for (int n = 1; n < 100_000 && Math.Abs(term) > Math.Abs(sum) * 1e-16; n++)
            {
                term *= z / (a + n);
                sum += term;
            }

            return Math.Max(0, 1 - sum * Math.Exp(logPrefix));
        }

        double b = z + 1 - a, c = 1e300, d = 1 / b, h = d;
        for (int i = 1; i < 100_000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            d = Math.Abs(d) < 1e-300 ? 1e-300 : d;
            c = b + an / c;
            c = Math.Abs(c) < 1e-300 ? 1e-300 : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }

        return Math.Exp(logPrefix) * h;
    }

    private static double LogGamma(double x)
    {
        double[] c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        x -= 1;
        double sum = c[0];
        for (int i = 1; i < 9; i++)
        {
            sum += c[i] / (x + i);
        }

        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
