namespace SpecAI.Extensions.Engine;

/// <summary>How a model takes back the newest tokens of a sequence (rejected drafts).</summary>
public enum SequenceRollback
{
    /// <summary>The model cannot take back tokens: speculation is refused for it (mode None still works).</summary>
    None = 0,

    /// <summary>Any tail of a sequence can be removed (attention-only models; sliding-window caches for the newest tokens).</summary>
    Removal = 1,

    /// <summary>
    /// The recurrent state keeps snapshots of its last <see cref="IModelSession.RollbackDepth"/> positions, so a tail up to
    /// that length can be removed natively (llama.cpp <c>n_rs_seq</c>: qwen35, qwen35moe); deeper rollbacks use a checkpoint.
    /// </summary>
    Snapshots = 2,

    /// <summary>
    /// The state is saved before the drafts are decoded and, after a partial acceptance, restored and the accepted tokens
    /// decoded again (recurrent and hybrid models without snapshots: lfm2, mamba, granitehybrid, ...).
    /// </summary>
    CheckpointReplay = 3,
}
