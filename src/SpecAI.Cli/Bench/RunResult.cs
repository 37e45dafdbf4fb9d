namespace SpecAI.Cli.Bench;

/// <summary>One benchmark row.</summary>
internal sealed class RunResult
{
    public required string Name { get; init; }

    public required string Mode { get; init; }

    public required string Verifier { get; init; }

    public int DraftLength { get; init; }

    public int DraftCount { get; init; } = 1;

    public bool Adaptive { get; init; }

    public double? Agreement { get; init; }

    public double? CalibratedAgreement { get; init; }

    public double Temperature { get; init; }

    /// <summary>Median over the timed requests.</summary>
    public double? TokensPerSecond { get; set; }

    public List<double>? TokensPerSecondRuns { get; set; }

    public int Repeats { get; set; }

    public long GeneratedTokens { get; set; }

    public long? TargetCalls { get; set; }

    public double? TargetMsPerCall { get; set; }

    public double? VerifyMsPerCall { get; set; }

    /// <summary>Generated tokens per target verification call.</summary>
    public double? TokensPerTargetCall { get; set; }

    /// <summary>Recurrent and hybrid models: steps rolled back by native snapshots.</summary>
    public long? SnapshotRollbacks { get; set; }

    /// <summary>Recurrent and hybrid models: steps rolled back by restoring a checkpoint and replaying.</summary>
    public long? CheckpointRestores { get; set; }

    /// <summary>Recurrent and hybrid models: tokens decoded again after restores.</summary>
    public long? ReplayedTokens { get; set; }

    /// <summary>Recurrent and hybrid models: checkpoint, restore and replay time per target call (native snapshot removal is inside the decode and not counted).</summary>
    public double? RollbackMsPerCall { get; set; }
    /// <summary>Verification per step (<see cref="VerifyMsPerCall"/>): target logits to distributions and every node's verifier, per target call.</summary>
    public double? VerifyMsPerStep { get; set; }

    /// <summary>Verification per verified node: <see cref="VerifyMsPerStep"/> over the tokens committed per step (one node each).</summary>
    public double? VerifyMsPerNode { get; set; }

    /// <summary>Managed drafting per drafted node (q from the draft's logits, the candidates drawn), the draft model's decodes excluded.</summary>
    public double? DraftManagedMsPerNode { get; set; }

    /// <summary>The single-token target decode the three costs above are compared with (ms).</summary>
    public double? DecodeMs { get; set; }

    public long? StepsWithSpeculationOff { get; set; }

    public int? FinalDraftLength { get; set; }

    public double? AcceptanceRate { get; set; }

    public double? MeanAcceptedLength { get; set; }

    public double? DraftTokensPerStep { get; set; }

    public double? PerTokenAcceptance { get; set; }

    public double? CostRatio { get; set; }

    public double? BoundSpeedup { get; set; }

    public double? Efficiency { get; set; }

    public double? MeanVerifyBatch { get; set; }

    public double? BatchCostFactor { get; set; }

    public double? BoundSpeedupBatchCost { get; set; }

    public double? EfficiencyBatchCost { get; set; }

    public double? SpeedupVsNone { get; set; }

    public double? SpeedupVsBaseline { get; set; }

    /// <summary>
    /// Tokens/s relative to the plain LLamaSharp greedy loop (row <c>raw</c>, T = 0 only): by default the median of this row's
    /// per-request ratios to the raw request run next to each (same process, thread, weights and prompt); with
    /// <c>--raw-child</c>, this row's median over the raw row's (its own process).
    /// </summary>
    public double? SpeedupVsRaw { get; set; }

    /// <summary>Median tokens/s of the raw requests paired with this row's timed requests (null with <c>--raw-child</c> or T &gt; 0).</summary>
    public double? RawTokensPerSecond { get; set; }

    /// <summary>Each paired raw request's tokens/s, in the order of <see cref="TokensPerSecondRuns"/>.</summary>
    public List<double>? RawTokensPerSecondRuns { get; set; }

    /// <summary>Median milliseconds of one single-token decode of the paired raw requests (compare <see cref="TargetMsPerCall"/>).</summary>
    public double? RawMsPerDecode { get; set; }

    /// <summary>Median milliseconds of the paired raw requests' prompt prefill (the client reuses cached prefixes instead).</summary>
    public double? RawPrefillMs { get; set; }

    /// <summary>Each timed request's tokens/s over its paired raw request's; <see cref="SpeedupVsRaw"/> is their median.</summary>
    public List<double>? PairedRatiosVsRaw { get; set; }

    /// <summary>Fastest single-draft length among 2, 3, 4 in its (agreement, temperature) group.</summary>
    public bool BestDraft { get; set; }

    public string? Status { get; set; }
}
