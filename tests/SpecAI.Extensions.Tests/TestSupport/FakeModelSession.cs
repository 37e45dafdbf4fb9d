using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>
/// An in-memory model whose logits are a known function of the token history, with a per-sequence
/// "KV cache" that checks every rule a real cache enforces (contiguous positions, consistent shared
/// tokens, whole-sequence copies only). As a recurrent model (<see cref="SequenceRollback.Snapshots"/> or
/// <see cref="SequenceRollback.CheckpointReplay"/>) it refuses removals its state could not make and keeps one
/// checkpoint per sequence id.
/// </summary>
internal sealed class FakeModelSession : IModelSession
{
    private readonly Func<IReadOnlyList<int>, float[]> _logits;
    private readonly List<int>[] _sequences;
    private readonly List<float[]> _lastLogits = new();

    private readonly Action<DecodeBatch>? _onDecode;
    private readonly Func<IReadOnlyList<int>, float[]>? _hidden;
    private readonly List<float[]?> _lastHidden = new();
    private readonly Dictionary<int, int[]> _checkpoints = new();

    public FakeModelSession(string name, int vocabularySize, Func<IReadOnlyList<int>, float[]> logits, int contextSize = 512, int maxBatchSize = 64, int maxSequences = 8, bool unified = true, Action<DecodeBatch>? onDecode = null, Func<IReadOnlyList<int>, float[]>? hidden = null, bool recurrent = false, SequenceRollback? rollback = null, int rollbackDepth = 0)
    {
        Rollback = rollback ?? (recurrent ? SequenceRollback.None : SequenceRollback.Removal);
        SupportsPartialRemoval = Rollback == SequenceRollback.Removal;
        RollbackDepth = Rollback switch { SequenceRollback.Removal => int.MaxValue, SequenceRollback.Snapshots => rollbackDepth, _ => 0 };
        _onDecode = onDecode;
        _hidden = hidden;
        ModelName = name;
        VocabularySize = vocabularySize;
        _logits = logits;
        ContextSize = contextSize;
        MaxBatchSize = maxBatchSize;
        MaxSequences = maxSequences;
        HasUnifiedKvCache = unified;
        _sequences = Enumerable.Range(0, maxSequences).Select(_ => new List<int>()).ToArray();
    }

    public string ModelName { get; }
    public int VocabularySize { get; }
    public int ContextSize { get; }
    public int MaxBatchSize { get; }
    public int MaxSequences { get; }
    public bool HasUnifiedKvCache { get; }
    public bool ProvidesHiddenStates => _hidden is not null;
    public bool SupportsPartialRemoval { get; }
    public SequenceRollback Rollback { get; }
    public int RollbackDepth { get; }
    public int CheckpointsSaved { get; private set; }
    public int CheckpointsRestored { get; private set; }

    /// <summary>Cells in use: distinct (position, history) entries across sequences, as a unified cache shares them.</summary>
    public int CellsInUse => _sequences.Sum(s => s.Count);
    public int DecodeCalls { get; private set; }
    public int DecodedTokens { get; private set; }
    public List<int> BatchSizes { get; } = new();

    public IReadOnlyList<int> SequenceTokens(int sequence) => _sequences[sequence];

    public void Decode(DecodeBatch batch)
    {
        if (batch.Count == 0 || batch.Count > MaxBatchSize)
        {
            throw new InvalidOperationException($"Batch of {batch.Count} tokens (max {MaxBatchSize}).");
        }

        _onDecode?.Invoke(batch);
        DecodeCalls++;
        DecodedTokens += batch.Count;
        BatchSizes.Add(batch.Count);
        _lastLogits.Clear();
        _lastHidden.Clear();
        for (int i = 0; i < batch.Count; i++)
        {
            var seqs = batch.SequencesAt(i);
            var first = _sequences[seqs[0]];
            foreach (int s in seqs)
            {
                var seq = _sequences[s];
                if (batch.PositionAt(i) != seq.Count)
                {
                    throw new InvalidOperationException($"Sequence {s} holds {seq.Count} tokens but the batch adds position {batch.PositionAt(i)}.");
                }

                if (!seq.SequenceEqual(first))
                {
                    throw new InvalidOperationException($"A token shared by sequences {string.Join(",", seqs.ToArray())} has different histories.");
                }
            }

            foreach (int s in seqs)
            {
                _sequences[s].Add(batch.TokenAt(i));
            }

            if (_sequences[seqs[0]].Count > ContextSize)
            {
                throw new InvalidOperationException("Context overflow.");
            }

            _lastLogits.Add(batch.WantsLogits(i) ? _logits(_sequences[seqs[0]].ToArray()) : null!);
            _lastHidden.Add(batch.WantsLogits(i) ? _hidden?.Invoke(_sequences[seqs[0]].ToArray()) : null);
        }
    }

    public ReadOnlySpan<float> GetLogits(int batchIndex) =>
        _lastLogits[batchIndex] ?? throw new InvalidOperationException($"Batch entry {batchIndex} did not ask for logits.");

    public ReadOnlySpan<float> GetHiddenState(int batchIndex) =>
        _lastHidden[batchIndex] ?? throw new InvalidOperationException($"Batch entry {batchIndex} has no hidden state.");

    public bool RemoveTokens(int sequence, int fromPosition)
    {
        var seq = _sequences[sequence];
        if (fromPosition < seq.Count)
        {
            if (fromPosition > 0 && seq.Count - fromPosition > RollbackDepth)
            {
                return false;
            }

            seq.RemoveRange(fromPosition, seq.Count - fromPosition);
        }

        return true;
    }

    public void CopySequence(int source, int destination)
    {
        if (!HasUnifiedKvCache)
        {
            throw new InvalidOperationException("copy on a non-unified cache");
        }

        _sequences[destination].Clear();
        _sequences[destination].AddRange(_sequences[source]);
    }

    public int SequenceLength(int sequence) => _sequences[sequence].Count;

    public void SaveCheckpoint(int sequence)
    {
        if (Rollback is not (SequenceRollback.Snapshots or SequenceRollback.CheckpointReplay))
        {
            throw new NotSupportedException("no checkpoints");
        }

        CheckpointsSaved++;
        _checkpoints[sequence] = _sequences[sequence].ToArray();
    }

    public void RestoreCheckpoint(int checkpointSequence, int destination)
    {
        var saved = _checkpoints.GetValueOrDefault(checkpointSequence) ?? throw new InvalidOperationException($"No checkpoint of sequence {checkpointSequence}.");
        CheckpointsRestored++;
        _sequences[destination].Clear();
        _sequences[destination].AddRange(saved);
    }

    public void Dispose()
    {
    }
}
