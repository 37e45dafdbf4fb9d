

namespace SpecAI.Cli.Bench;

/// <summary>Summary statistics of the bench (the speedup model itself is <see cref="SpecAI.Extensions.Engine.SpeculationBounds"/>).</summary>
internal static class BenchMath
{
    /// <summary>Median (NaN when empty).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    /// <summary>The q-quantile with linear interpolation between order statistics (NaN when empty).</summary>
    public static double Percentile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        double rank = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    /// <summary>Mean ms of each measured target batch size and its ratio b(n) to one token.</summary>
    public static List<BatchCostSample> BatchCostSamples(Dictionary<int, (long Calls, double TotalMs)> cost)
    {
        double one = cost.TryGetValue(1, out var c1) && c1.Calls > 0 ? c1.TotalMs / c1.Calls : double.NaN;
        return cost.Where(kv => kv.Value.Calls > 0).OrderBy(kv => kv.Key).Select(kv => new BatchCostSample
        {
            Tokens = kv.Key,
            Calls = kv.Value.Calls,
            MeanMilliseconds = Math.Round(kv.Value.TotalMs / kv.Value.Calls, 3),
            Ratio = Math.Round(kv.Value.TotalMs / kv.Value.Calls / one, 3),
        }).Where(p => double.IsFinite(p.Ratio)).ToList();
    }

    /// <summary>The value, or null when it is not finite (JSON has no NaN).</summary>
    public static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
