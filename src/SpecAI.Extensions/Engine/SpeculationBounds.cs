namespace SpecAI.Extensions.Engine;

/// <summary>
/// The i.i.d. model of speculative decoding (Leviathan, Kalman &amp; Matias 2023, arXiv:2211.17192, section 3):
/// with per-token acceptance a, draft length g, draft cost c per drafted token (in target decodes) and a
/// verification batch costing b target decodes, a step commits <c>(1 - a^(g+1)) / (1 - a)</c> tokens and the
/// speedup over plain decoding is that divided by <c>g c + b</c> (b = 1 in the paper; on a CPU b grows with
/// the batch, see <see cref="BatchCostCurve"/>).
/// </summary>
internal static class SpeculationBounds
{
    /// <summary>Expected tokens committed per target call: <c>(1 - a^(g+1)) / (1 - a)</c> (g + 1 at a = 1).</summary>
    /// <param name="acceptance">Per-token acceptance a in [0, 1].</param>
    /// <param name="draftLength">Draft length g (at least 0).</param>
    /// <returns>Tokens per call.</returns>
    public static double ExpectedTokens(double acceptance, double draftLength)
    {
        if (acceptance >= 1 - 1e-12)
        {
            return draftLength + 1;
        }

        return (1 - Math.Pow(acceptance, draftLength + 1)) / (1 - acceptance);
    }

    /// <summary>Expected speedup over plain decoding: <c>ExpectedTokens(a, g) / (g c + b)</c>.</summary>
    /// <param name="acceptance">Per-token acceptance a.</param>
    /// <param name="draftLength">Draft length g.</param>
    /// <param name="costRatio">Cost of one draft step relative to one target decode, c.</param>
    /// <param name="batchCost">Cost of the verification batch relative to one single-token target decode, b (1 on a GPU).</param>
    /// <returns>The speedup.</returns>
    public static double Speedup(double acceptance, double draftLength, double costRatio, double batchCost = 1)
        => ExpectedTokens(acceptance, draftLength) / (draftLength * costRatio + batchCost);

    /// <summary>
    /// The per-token acceptance a whose expected accepted drafts per step, <c>a (1 - a^g) / (1 - a)</c>, equal
    /// <paramref name="meanAccepted"/> (bisection; the function is increasing in a).
    /// </summary>
    /// <param name="meanAccepted">Measured accepted drafts per step.</param>
    /// <param name="draftLength">Draft length g.</param>
    /// <returns>a in [0, 1).</returns>
    public static double AcceptanceFromMeanAccepted(double meanAccepted, double draftLength)
    {
        if (draftLength <= 0 || meanAccepted <= 0)
        {
            return 0;
        }

        double lo = 0, hi = 1 - 1e-9;
        for (int i = 0; i < 100; i++)
        {
            double mid = (lo + hi) / 2;
            (lo, hi) = ExpectedTokens(mid, draftLength) - 1 < meanAccepted ? (mid, hi) : (lo, mid);
        }

        return (lo + hi) / 2;
    }
}
