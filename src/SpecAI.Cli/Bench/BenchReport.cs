namespace SpecAI.Cli.Bench;

/// <summary>JSON report.</summary>
internal sealed class BenchReport
{
    public required List<RunResult> Runs { get; init; }

    /// <summary>Machine-level b(n): target time of an n-token batch / single-token time (sizes with at least 2 calls).</summary>
    public required SortedDictionary<int, double> BatchCostCurve { get; init; }

    public required List<BatchCostSample> BatchCostSamples { get; init; }

    public required MachineInfo Machine { get; init; }
}
