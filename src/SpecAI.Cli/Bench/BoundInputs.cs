namespace SpecAI.Cli.Bench;

/// <summary>Per-run measurements the bounds are computed from after all runs (the batch-cost curve is machine-level).</summary>
internal sealed record BoundInputs(double A, double G, double C, IReadOnlyDictionary<int, long> BatchCalls);
