namespace SpecAI.Extensions.Engine;

/// <summary>
/// A batch of (token, position, sequence ids, wants logits) entries for one decode. A token shared by
/// several draft branches is added once with all their sequence ids.
/// </summary>
public sealed class DecodeBatch
{
    private readonly List<int> _tokens = new();
    private readonly List<int> _positions = new();
    private readonly List<int> _sequenceStart = new();
    private readonly List<int> _sequences = new();
    private readonly List<bool> _logits = new();

    /// <summary>Number of entries.</summary>
    public int Count => _tokens.Count;

    /// <summary>Number of entries that asked for logits.</summary>
    public int LogitsCount { get; private set; }

    /// <summary>Adds a token that belongs to one sequence.</summary>
    /// <param name="token">Token id.</param>
    /// <param name="position">Position in the sequence.</param>
    /// <param name="sequence">Sequence id.</param>
    /// <param name="wantLogits">Whether logits are needed at this entry.</param>
    /// <returns>The entry's batch index.</returns>
    public int Add(int token, int position, int sequence, bool wantLogits) => Add(token, position, [sequence], wantLogits);

    /// <summary>Adds a token that belongs to several sequences at once.</summary>
    /// <param name="token">Token id.</param>
    /// <param name="position">Position in each sequence.</param>
    /// <param name="sequences">Sequence ids (at least one).</param>
    /// <param name="wantLogits">Whether logits are needed at this entry.</param>
    /// <returns>The entry's batch index.</returns>
    /// <exception cref="ArgumentException">No sequence id was given, or a position is negative.</exception>
    public int Add(int token, int position, ReadOnlySpan<int> sequences, bool wantLogits)
    {
        if (sequences.IsEmpty)
        {
            throw new ArgumentException("A batch entry needs at least one sequence id.", nameof(sequences));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(position);
        _tokens.Add(token);
        _positions.Add(position);
        _sequenceStart.Add(_sequences.Count);
        foreach (int s in sequences)
        {
            _sequences.Add(s);
        }

        _logits.Add(wantLogits);
        if (wantLogits)
        {
            LogitsCount++;
        }

        return _tokens.Count - 1;
    }

    /// <summary>Token of entry <paramref name="index"/>.</summary>
    /// <param name="index">Batch index.</param>
    /// <returns>The token.</returns>
    public int TokenAt(int index) => _tokens[index];

    /// <summary>Position of entry <paramref name="index"/>.</summary>
    /// <param name="index">Batch index.</param>
    /// <returns>The position.</returns>
    public int PositionAt(int index) => _positions[index];

    /// <summary>Whether entry <paramref name="index"/> asked for logits.</summary>
    /// <param name="index">Batch index.</param>
    /// <returns><see langword="true"/> when logits were requested.</returns>
    public bool WantsLogits(int index) => _logits[index];

    /// <summary>Sequence ids of entry <paramref name="index"/>.</summary>
    /// <param name="index">Batch index.</param>
    /// <returns>The sequence ids.</returns>
    public ReadOnlySpan<int> SequencesAt(int index)
    {
        int start = _sequenceStart[index];
        int end = index + 1 < _sequenceStart.Count ? _sequenceStart[index + 1] : _sequences.Count;
        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_sequences)[start..end];
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        _tokens.Clear();
        _positions.Clear();
        _sequenceStart.Clear();
        _sequences.Clear();
        _logits.Clear();
        LogitsCount = 0;
    }
}
