namespace SpecAI.Extensions.Engine;

/// <summary>
/// Measured wall time of one decode as a function of its batch size, smoothed per size, with interpolation
/// between measured sizes and extrapolation beyond them. One model of step cost for the adaptive policy
/// and the benchmarks.
/// </summary>
/// <remarks>
/// Between measured sizes the cost is interpolated linearly; beyond them it is extrapolated with the slope of
/// the two nearest sizes, or, from a single size, with the CPU shape <c>1 + 0.35 (b - 1)</c> (DESIGN.md
/// section 2: on a GPU a batch costs about one decode, on a CPU it grows with its size).
/// </remarks>
internal sealed class BatchCostCurve
{
    /// <summary>Relative cost of each further token of a batch on a CPU, used when only one size was measured.</summary>
    public const double CpuBatchSlope = 0.35;

    private readonly SortedDictionary<int, double> _cost = new();

    /// <summary>Creates a curve.</summary>
    /// <param name="smoothing">Weight of a new observation in each size's moving average, in (0, 1]; 1 keeps the last.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="smoothing"/> is out of range.</exception>
    public BatchCostCurve(double smoothing = 0.125)
    {
        if (!(smoothing > 0 && smoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Smoothing must be in (0, 1].");
        }

        Smoothing = smoothing;
    }

    /// <summary>Weight of a new observation.</summary>
    public double Smoothing { get; }

    /// <summary>Whether any size was measured.</summary>
    public bool IsEmpty => _cost.Count == 0;

    /// <summary>The measured sizes and their smoothed costs in seconds.</summary>
    public IReadOnlyDictionary<int, double> Points => _cost;

    /// <summary>Records one decode (the first observation of a size is taken as is).</summary>
    /// <param name="batchSize">Tokens in the batch (at least 1).</param>
    /// <param name="seconds">Its wall time.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    public void Record(int batchSize, double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        seconds = Math.Max(0, seconds);
        _cost[batchSize] = _cost.TryGetValue(batchSize, out double old) ? old + Smoothing * (seconds - old) : seconds;
    }

    /// <summary>Estimated cost of a batch of <paramref name="batchSize"/> tokens (NaN before any measurement).</summary>
    /// <param name="batchSize">Tokens.</param>
    /// <returns>Seconds.</returns>
    public double Estimate(double batchSize) => EstimateSorted(_cost, batchSize);

    /// <summary>Interpolates a cost curve given as measured (size, cost) points; NaN when it is empty.</summary>
    /// <param name="curve">Measured points.</param>
    /// <param name="batchSize">Size to estimate.</param>
    /// <returns>The estimate.</returns>
    public static double Estimate(IReadOnlyDictionary<int, double> curve, double batchSize)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return EstimateSorted(curve.OrderBy(p => p.Key), batchSize);
    }

    private static double EstimateSorted(IEnumerable<KeyValuePair<int, double>> curve, double batchSize)
    {
        (int Size, double Cost)? below = null, below2 = null, above = null, above2 = null;
        foreach (var (size, cost) in curve)
        {
            if (size == batchSize)
            {
                return cost;
            }

            if (size < batchSize)
            {
                below2 = below;
                below = (size, cost);
            }
            else if (above is null)
            {
                above = (size, cost);
            }
            else if (above2 is null)
            {
                above2 = (size, cost);
            }
        }

        if (below is null && above is null)
        {
            return double.NaN;
        }

        if (below is { } lo && above is { } hi)
        {
            return lo.Cost + (hi.Cost - lo.Cost) * (batchSize - lo.Size) / (hi.Size - lo.Size);
        }

        var (nearest, second) = below is not null ? (below.Value, below2) : (above!.Value, above2);
        if (second is { } other)
        {
            double slope = Math.Max(0, (nearest.Cost - other.Cost) / (nearest.Size - other.Size));
            double extrapolated = nearest.Cost + slope * (batchSize - nearest.Size);
            if (extrapolated > 0)
            {
                return extrapolated;
            }
        }

        return nearest.Cost * (1 + CpuBatchSlope * (batchSize - 1)) / (1 + CpuBatchSlope * (nearest.Size - 1));
    }
}
