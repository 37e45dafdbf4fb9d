namespace SpecAI.Extensions.Testing;

/// <summary>Pearson's chi-square goodness of fit with the p-value from the regularised upper incomplete gamma.</summary>
internal static class ChiSquare
{
    /// <summary>Returns (statistic, degrees of freedom, p-value); cells with expected count below 5 are pooled.</summary>
    public static (double Statistic, int DegreesOfFreedom, double PValue) Test(IReadOnlyList<long> observed, IReadOnlyList<double> probabilities)
    {
        long total = observed.Sum();
        double statistic = 0;
        int cells = 0;
        double pooledObserved = 0, pooledExpected = 0;
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
            statistic += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / Math.Max(pooledExpected, 1e-12);
            cells++;
        }

        int df = Math.Max(1, cells - 1);
        return (statistic, df, UpperRegularizedGamma(df / 2.0, statistic / 2.0));
    }

    /// <summary>Q(a, x) = Gamma(a, x) / Gamma(a): series for x &lt; a + 1, continued fraction otherwise.</summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0)
        {
            return 1.0;
        }

        double logPrefix = a * Math.Log(x) - x - LogGamma(a);
        if (x < a + 1)
        {
            double term = 1.0 / a, sum = term;
            for (int n = 1; n < 10_000; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-15)
                {
                    break;
                }
            }

            return 1.0 - sum * Math.Exp(logPrefix);
        }

        // Lentz's method for the continued fraction of Q.
        double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < 10_000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = b + an / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15)
            {
                break;
            }
        }

        return Math.Exp(logPrefix) * h;
    }

    private static double LogGamma(double x)
    {
        // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
        double[] c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        }

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
