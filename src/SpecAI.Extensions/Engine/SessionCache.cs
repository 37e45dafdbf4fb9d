namespace SpecAI.Extensions.Engine;

/// <summary>
/// Tracks what a session's KV cache holds so that only new tokens are decoded (prompt prefix reuse
/// across turns) and so that draft branches are forked and dropped with whole-sequence operations only.
/// </summary>
internal sealed class SessionCache
{
    private readonly List<int> _cached = new();
    private readonly List<int> _branchSequences = new();
    private readonly HashSet<int> _dirty = new();

    public SessionCache(IModelSession session)
    {
        Session = session;
    }

    public IModelSession Session { get; }

    /// <summary>The sequence id that holds the committed tokens.</summary>
    public int MainSequence { get; private set; }

    /// <summary>How many leading committed tokens the main sequence holds.</summary>
    public int CachedCount => _cached.Count;

    /// <summary>Sequence id of each draft branch of the current step (branch 0 is the main sequence).</summary>
    public IReadOnlyList<int> BranchSequences => _branchSequences;

    /// <summary>
    /// Makes the main sequence hold <paramref name="tokens"/>[0..count), decoding only what is missing.
    /// With <paramref name="logitsAtLast"/>, the last token is (re)decoded with logits.
    /// </summary>
    /// <returns>The batch index of the last token in the final batch, or -1 when no logits were asked.</returns>
    public int Prefill(ReadOnlySpan<int> tokens, int count, bool logitsAtLast, DecodeBatch batch, SpeculationStatistics statistics, bool isTarget)
    {
        int common = 0;
        int limit = Math.Min(_cached.Count, logitsAtLast ? count - 1 : count);
        while (common < limit && _cached[common] == tokens[common])
        {
            common++;
        }

        if (common < _cached.Count)
        {
            Session.RemoveTokens(MainSequence, common);
            _cached.RemoveRange(common, _cached.Count - common);
        }

        int lastIndex = -1;
        int position = common;
        while (position < count)
        {
            batch.Clear();
            int end = Math.Min(count, position + Session.MaxBatchSize);
            for (int i = position; i < end; i++)
            {
                bool logits = logitsAtLast && i == count - 1;
                int index = batch.Add(tokens[i], i, MainSequence, logits);
                if (logits)
                {
                    lastIndex = index;
                }
            }

            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            Session.Decode(batch);
            statistics.RecordDecode(isTarget, batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(start), prefill: !logitsAtLast || isTarget);
            for (int i = position; i < end; i++)
            {
                _cached.Add(tokens[i]);
            }

            position = end;
        }

        return lastIndex;
    }

    /// <summary>Chooses sequence ids for <paramref name="branchCount"/> branches and copies the main sequence into the others.</summary>
    public void Fork(int branchCount)
    {
        if (branchCount > Session.MaxSequences)
        {
            throw new InvalidOperationException($"{branchCount} draft branches need {branchCount} sequences but '{Session.ModelName}' has {Session.MaxSequences}. Raise the context's sequence count or lower the draft count.");
        }

        if (branchCount > 1 && !Session.HasUnifiedKvCache)
        {
            throw new InvalidOperationException($"Multi-draft speculation needs a unified KV cache, and '{Session.ModelName}' has a non-unified one; a shared token cannot span sequences there.");
        }

        _branchSequences.Clear();
        _branchSequences.Add(MainSequence);
        for (int id = 0; _branchSequences.Count < branchCount; id++)
        {
            if (id == MainSequence)
            {
                continue;
            }

            if (_dirty.Remove(id))
            {
                Session.RemoveTokens(id, 0);
            }

            Session.CopySequence(MainSequence, id);
            _dirty.Add(id);
            _branchSequences.Add(id);
        }
    }

    /// <summary>
    /// Keeps the winning branch's sequence as the new main one, trimmed to the first
    /// <paramref name="validCount"/> committed tokens, and empties every other branch.
    /// </summary>
    public void Commit(int winnerBranch, int validCount, ReadOnlySpan<int> committed)
    {
        int winner = _branchSequences.Count == 0 ? MainSequence : _branchSequences[winnerBranch];
        if (winner != MainSequence)
        {
            _dirty.Add(MainSequence);
            _dirty.Remove(winner);
            MainSequence = winner;
        }

        foreach (int id in _dirty)
        {
            Session.RemoveTokens(id, 0);
        }

        _dirty.Clear();
        _branchSequences.Clear();
        Session.RemoveTokens(MainSequence, validCount);
        _cached.Clear();
        _cached.AddRange(committed[..validCount]);
    }

    /// <summary>Forgets everything (after an error the KV state is unknown).</summary>
    public void Reset()
    {
        for (int id = 0; id < Session.MaxSequences; id++)
        {
            Session.RemoveTokens(id, 0);
        }

        _dirty.Clear();
        _branchSequences.Clear();
        _cached.Clear();
        MainSequence = 0;
    }
}
