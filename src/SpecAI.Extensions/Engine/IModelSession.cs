namespace SpecAI.Extensions.Engine;

/// <summary>
/// One model with its KV cache, as the engine needs it: decode a batch of tokens with logits per
/// position, and edit the cache per sequence. Implemented over LLamaSharp in the backend package and
/// by in-memory fakes in tests.
/// </summary>
/// <remarks>
/// There is deliberately no partial sequence copy: on a non-unified llama.cpp cache a partial copy hits
/// a GGML_ASSERT that aborts the whole process, and the engine never needs one.
/// Spans returned by <see cref="GetLogits"/> and <see cref="GetHiddenState"/> are valid only until the
/// next call that changes the session.
/// </remarks>
public interface IModelSession : IDisposable
{
    /// <summary>A display name for the model (for logs and errors).</summary>
    string ModelName { get; }

    /// <summary>Number of logits per position.</summary>
    int VocabularySize { get; }

    /// <summary>Most positions a sequence may hold.</summary>
    int ContextSize { get; }

    /// <summary>Most tokens one <see cref="Decode"/> call accepts.</summary>
    int MaxBatchSize { get; }

    /// <summary>Number of sequence ids available (0 .. MaxSequences - 1).</summary>
    int MaxSequences { get; }

    /// <summary>Whether all sequences share one KV buffer (llama.cpp <c>kv_unified</c>); needed to share a token between sequences.</summary>
    bool HasUnifiedKvCache { get; }

    /// <summary>Whether <see cref="GetHiddenState"/> is available (costs an output per position; enable only for a judge).</summary>
    bool ProvidesHiddenStates { get; }

    /// <summary>
    /// Whether any tail of a sequence can be removed (<see cref="RemoveTokens"/> with a position above 0). Recurrent and
    /// hybrid models (Mamba, RWKV, LFM2, Qwen3.5, Granite-4-H) keep one state per sequence and cannot cut it back
    /// arbitrarily; they roll back rejected drafts as <see cref="Rollback"/> says.
    /// </summary>
    bool SupportsPartialRemoval { get; }

    /// <summary>How rejected drafts are taken back (the default follows <see cref="SupportsPartialRemoval"/>: removal, or none).</summary>
    SequenceRollback Rollback => SupportsPartialRemoval ? SequenceRollback.Removal : SequenceRollback.None;

    /// <summary>
    /// Newest tokens of a sequence that <see cref="RemoveTokens"/> can take back natively: unlimited with
    /// <see cref="SequenceRollback.Removal"/>, the snapshot count with <see cref="SequenceRollback.Snapshots"/>, else 0.
    /// </summary>
    int RollbackDepth => SupportsPartialRemoval ? int.MaxValue : 0;

    /// <summary>Positions a sequence holds (its last position + 1; 0 when empty).</summary>
    /// <param name="sequence">The sequence id.</param>
    /// <returns>The length.</returns>
    /// <exception cref="NotSupportedException">The session does not track it (needed only with checkpoints).</exception>
    int SequenceLength(int sequence) => throw new NotSupportedException($"'{ModelName}' does not report sequence lengths.");

    /// <summary>
    /// Saves the whole state of a sequence (attention cells and recurrent state) as the checkpoint kept for that sequence id,
    /// replacing the previous one (llama.cpp <c>llama_state_seq_get_data</c>).
    /// </summary>
    /// <param name="sequence">The sequence id.</param>
    /// <exception cref="NotSupportedException">The session cannot save sequence states.</exception>
    void SaveCheckpoint(int sequence) => throw new NotSupportedException($"'{ModelName}' cannot save sequence checkpoints.");

    /// <summary>
    /// Replaces <paramref name="destination"/> with the checkpoint last saved from <paramref name="checkpointSequence"/>
    /// (llama.cpp <c>llama_state_seq_set_data</c>); the checkpoint stays available.
    /// </summary>
    /// <param name="checkpointSequence">The sequence whose checkpoint to load.</param>
    /// <param name="destination">The sequence to overwrite.</param>
    /// <exception cref="NotSupportedException">The session cannot restore sequence checkpoints.</exception>
    /// <exception cref="InvalidOperationException">No checkpoint was saved for <paramref name="checkpointSequence"/>.</exception>
    void RestoreCheckpoint(int checkpointSequence, int destination) => throw new NotSupportedException($"'{ModelName}' cannot restore sequence checkpoints.");

    /// <summary>Decodes a batch, appending every token to the KV of each of its sequences.</summary>
    /// <param name="batch">The batch; positions must continue each sequence.</param>
    /// <exception cref="KvCacheFullException">The KV cache has no room for the batch; nothing was decoded.</exception>
    void Decode(DecodeBatch batch);

    /// <summary>Logits of the batch entry <paramref name="batchIndex"/> of the last decode (it must have asked for logits).</summary>
    /// <param name="batchIndex">Index in the last batch.</param>
    /// <returns>The logits; valid until the session changes.</returns>
    ReadOnlySpan<float> GetLogits(int batchIndex);

    /// <summary>The final normalised hidden state (input of the LM head) of batch entry <paramref name="batchIndex"/>.</summary>
    /// <param name="batchIndex">Index in the last batch.</param>
    /// <returns>The hidden state; valid until the session changes.</returns>
    ReadOnlySpan<float> GetHiddenState(int batchIndex);

    /// <summary>Removes positions <paramref name="fromPosition"/> and later from a sequence.</summary>
    /// <param name="sequence">The sequence id.</param>
    /// <param name="fromPosition">First position to remove; 0 empties the sequence.</param>
    /// <returns>
    /// <see langword="false"/> when the model could not remove that part of the sequence (a recurrent state deeper than
    /// its snapshots, a sliding window that already dropped cells before the cut); the sequence is then in doubt and the
    /// caller empties or restores it. Removing a whole sequence (<paramref name="fromPosition"/> 0) always succeeds.
    /// </returns>
    bool RemoveTokens(int sequence, int fromPosition);

    /// <summary>Makes <paramref name="destination"/> hold exactly what <paramref name="source"/> holds (whole sequences only).</summary>
    /// <param name="source">Sequence to copy.</param>
    /// <param name="destination">Sequence to overwrite.</param>
    void CopySequence(int source, int destination);
}
