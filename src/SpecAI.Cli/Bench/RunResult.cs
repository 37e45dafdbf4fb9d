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

    /// <summary>Tokens/s relative to the plain LLamaSharp greedy loop in its own process (row <c>raw</c>, T = 0 only).</summary>
    public double? SpeedupVsRaw { get; set; }

    /// <summary>Fastest single-draft length among 2, 3, 4 in its (agreement, temperature) group.</summary>
    public bool BestDraft { get; set; }

    public string? Status { get; set; }
}
