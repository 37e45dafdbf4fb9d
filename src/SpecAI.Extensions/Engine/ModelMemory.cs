using System.Diagnostics;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// The sequences of one model's KV cache: recycles sequence ids (llama.cpp rejects ids at or above its
/// sequence count), keeps finished conversations as idle slots for prompt prefix reuse, shares a common
/// prefix between conversations by copying a whole sequence, and forks and drops draft branches with
/// whole-sequence operations.
/// </summary>
/// <remarks>
/// Every removal is checked: a recurrent or hybrid model cannot drop an arbitrary part of a sequence, so a
/// failed trim empties the sequence instead (the conversation is then prefilled again: a state holding tokens
/// the new conversation lacks is never reused). Rejected drafts are taken back as the session's
/// <see cref="IModelSession.Rollback"/> allows: by removal (attention, or recurrent snapshots within their
/// depth), else from a checkpoint saved before the drafts were decoded, restored after a partial acceptance,
/// with the accepted tokens decoded again (replay).
/// </remarks>
internal sealed class ModelMemory
{
    /// <summary>Shortest prefix worth sharing by copying another conversation's sequence (a system prompt, say).</summary>
    public const int MinSharedPrefix = 16;

    private readonly SortedSet<int> _free = new();
    private readonly List<SequenceSlot> _idle = new();
    private readonly List<SequenceSlot> _active = new();
    private long _clock;
    private DecodeBatch? _replay;

    public ModelMemory(IModelSession session)
    {
        Session = session;
        for (int id = 0; id < session.MaxSequences; id++)
        {
            _free.Add(id);
        }
    }

    public IModelSession Session { get; }

    /// <summary>KV cells held by idle conversations (freed on demand).</summary>
    public int IdleCells
    {
        get
        {
            int cells = 0;
            foreach (var slot in _idle)
            {
                cells += slot.Cached.Count;
            }

            return cells;
        }
    }

    /// <summary>Sequence ids that can be taken now (free, or held by an idle conversation).</summary>
    public int AvailableSequences => _free.Count + _idle.Count;

    /// <summary>Tokens held by the most recently used idle conversation (0 when none).</summary>
    public int MostRecentIdleCount => _idle.Count == 0 ? 0 : _idle.MaxBy(s => s.LastUsed)!.Cached.Count;

    /// <summary>
    /// A slot for a conversation of <paramref name="tokens"/>, reusing the longest cached prefix of at most
    /// <paramref name="usable"/> tokens: an idle conversation's sequence, else a copy of any conversation's.
    /// </summary>
    public SequenceSlot Acquire(IReadOnlyList<int> tokens, int usable)
    {
        SequenceSlot? bestIdle = null;
        int bestIdleCommon = 0;
        foreach (var slot in _idle)
        {
            int common = slot.CommonPrefix(tokens, usable);
            if (common > bestIdleCommon || (common == bestIdleCommon && bestIdle is not null && slot.LastUsed > bestIdle.LastUsed))
            {
                (bestIdle, bestIdleCommon) = (slot, common);
            }
        }

        SequenceSlot? source = null;
        int sourceCommon = 0;
        if (Session.HasUnifiedKvCache && Session.Rollback == SequenceRollback.Removal)
        {
            foreach (var slot in _active.Concat(_idle))
            {
                int common = slot.CommonPrefix(tokens, usable);
                if (common >= MinSharedPrefix && common > sourceCommon)
                {
                    (source, sourceCommon) = (slot, common);
                }
            }
        }

        SequenceSlot acquired;
        if (bestIdle is not null && bestIdleCommon > 0 && bestIdleCommon >= sourceCommon)
        {
            _idle.Remove(bestIdle);
            acquired = bestIdle;
            Truncate(acquired, bestIdleCommon);
        }
        else if (source is not null)
        {
            acquired = new SequenceSlot(TakeSequence(keep: source));
            Session.CopySequence(source.Sequence, acquired.Sequence);
            acquired.Cached.AddRange(source.Cached);
            Truncate(acquired, sourceCommon);
        }
        else
        {
            acquired = new SequenceSlot(TakeSequence(keep: null));
        }

        acquired.LastUsed = ++_clock;
        _active.Add(acquired);
        return acquired;
    }

    /// <summary>Ends a conversation: kept as an idle slot for prefix reuse, or emptied and its id freed.</summary>
    public void Release(SequenceSlot slot, bool keep)
    {
        if (!_active.Remove(slot))
        {
            return;
        }

        DropBranches(slot, keepSequence: slot.Sequence);
        if (keep && slot.Cached.Count > 0)
        {
            slot.LastUsed = ++_clock;
            _idle.Add(slot);
        }
        else
        {
            Free(slot.Sequence);
            slot.Cached.Clear();
        }
    }

    /// <summary>Frees the least recently used idle conversation; false when there is none.</summary>
    public bool EvictIdle()
    {
        if (_idle.Count == 0)
        {
            return false;
        }

        var victim = _idle.MinBy(s => s.LastUsed)!;
        _idle.Remove(victim);
        Free(victim.Sequence);
        victim.Cached.Clear();
        return true;
    }

    /// <summary>Removes positions <paramref name="count"/> and later from the main sequence; when the model cannot, empties it.</summary>
    public void Truncate(SequenceSlot slot, int count)
    {
        if (count >= slot.Cached.Count)
        {
            return;
        }

        // Only attention caches are cut back here: recurrent snapshots serve the rollback right after a verification
        // batch, not an older point of a finished conversation.
        if (count == 0 || Session.Rollback != SequenceRollback.Removal || !Session.RemoveTokens(slot.Sequence, count))
        {
            // A recurrent state cannot be cut back: start the conversation over.
            Session.RemoveTokens(slot.Sequence, 0);
            slot.Cached.Clear();
            return;
        }

        slot.Cached.RemoveRange(count, slot.Cached.Count - count);
    }

    /// <summary>Empties a slot's sequences (its step failed half-way).</summary>
    public void Clear(SequenceSlot slot)
    {
        DropBranches(slot, keepSequence: slot.Sequence);
        Session.RemoveTokens(slot.Sequence, 0);
        slot.Cached.Clear();
        slot.CheckpointCount = -1;
    }

    /// <summary>Copies the main sequence into up to <paramref name="branchCount"/> - 1 further sequences; returns the branch count made.</summary>
    public int Fork(SequenceSlot slot, int branchCount)
    {
        slot.Branches.Clear();
        if (branchCount <= 1)
        {
            return 1;
        }

        if (!Session.HasUnifiedKvCache)
        {
            throw new InvalidOperationException($"Multi-draft speculation needs a unified KV cache, and '{Session.ModelName}' has a non-unified one; a shared token cannot span sequences there.");
        }

        slot.Branches.Add(slot.Sequence);
        while (slot.Branches.Count < branchCount && AvailableSequences > 0)
        {
            int id = TakeSequence(keep: slot);
            Session.CopySequence(slot.Sequence, id);
            slot.Branches.Add(id);
        }

        if (slot.Branches.Count == 1)
        {
            slot.Branches.Clear();
            return 1;
        }

        return slot.Branches.Count;
    }

    /// <summary>
    /// Before a decode that appends drafts of up to <paramref name="depth"/> tokens on <paramref name="branches"/> branches
    /// (the main sequence not yet forked): saves a checkpoint of the main sequence when removal alone cannot take them back.
    /// </summary>
    /// <exception cref="NotSupportedException">The model cannot take back tokens at all.</exception>
    public void PrepareRollback(SequenceSlot slot, int depth, int branches)
    {
        slot.CheckpointCount = -1;
        bool checkpoint = Session.Rollback switch
        {
            SequenceRollback.Removal => false,

            // Copied branches are restored from the checkpoint rather than trusted to carry their own snapshots.
            SequenceRollback.Snapshots => depth > Session.RollbackDepth || branches > 1,
            SequenceRollback.CheckpointReplay => true,
            _ => throw new NotSupportedException($"'{Session.ModelName}' can neither remove nor checkpoint the tail of a sequence, so rejected drafts cannot be taken back; use speculation mode None with it."),
        };

        if (checkpoint)
        {
            long started = Stopwatch.GetTimestamp();
            Session.SaveCheckpoint(slot.Sequence);
            slot.CheckpointCount = slot.Cached.Count;
            slot.RollbackTime += Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>
    /// Keeps the winning branch's sequence as the main one, trimmed to the first <paramref name="validCount"/>
    /// committed tokens, and drops every other branch. With a checkpoint of this step and rejected drafts, the main
    /// sequence is restored instead and <paramref name="committed"/>[checkpoint..validCount) decoded again.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model cannot remove the rejected drafts and no checkpoint was saved.</exception>
    public void Commit(SequenceSlot slot, int winnerBranch, int validCount, ReadOnlySpan<int> committed, bool drafted, SpeculationStatistics? statistics = null)
    {
        int winner = slot.BranchSequence(winnerBranch);
        bool recurrent = drafted && Session.Rollback is SequenceRollback.Snapshots or SequenceRollback.CheckpointReplay;
        bool rejected = recurrent && Session.SequenceLength(winner) > validCount;
        if (slot.CheckpointCount >= 0 && rejected)
        {
            Restore(slot, validCount, committed, statistics);
        }
        else
        {
            DropBranches(slot, keepSequence: winner);
            slot.Sequence = winner;
            if ((drafted || slot.Cached.Count > validCount) && !Session.RemoveTokens(winner, validCount))
            {
                Session.RemoveTokens(winner, 0);
                throw new InvalidOperationException($"'{Session.ModelName}' could not remove rejected draft tokens from its KV cache ({Session.Rollback} rollback, depth {Session.RollbackDepth}) and no checkpoint was saved; the conversation's cache was emptied.");
            }

            if (rejected)
            {
                // Native snapshots took the tail back.
                statistics?.RecordRollback(replayedTokens: 0, restored: false, TimeSpan.Zero);
            }
        }

        slot.CheckpointCount = -1;
        slot.Cached.Clear();
        slot.Cached.AddRange(committed[..validCount]);
        slot.LastUsed = ++_clock;
    }

    /// <summary>Loads the step's checkpoint into the main sequence and decodes the accepted tokens after it again.</summary>
    private void Restore(SequenceSlot slot, int validCount, ReadOnlySpan<int> committed, SpeculationStatistics? statistics)
    {
        long started = Stopwatch.GetTimestamp();
        DropBranches(slot, keepSequence: slot.Sequence);
        Session.RestoreCheckpoint(slot.Sequence, slot.Sequence);
        int from = slot.CheckpointCount;
        var batch = _replay ??= new DecodeBatch();
        for (int start = from; start < validCount; start += Session.MaxBatchSize)
        {
            batch.Clear();
            int end = Math.Min(validCount, start + Session.MaxBatchSize);
            for (int i = start; i < end; i++)
            {
                batch.Add(committed[i], i, slot.Sequence, wantLogits: false);
            }

            Session.Decode(batch);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        slot.RollbackTime += elapsed;
        statistics?.RecordRollback(validCount - from, restored: true, elapsed);
    }

    /// <summary>Empties every sequence (after an error the KV state is unknown); live slots keep their ids and restart empty.</summary>
    public void Reset()
    {
        for (int id = 0; id < Session.MaxSequences; id++)
        {
            Session.RemoveTokens(id, 0);
        }

        foreach (var slot in _idle)
        {
            slot.Cached.Clear();
        }

        _idle.Clear();
        _free.Clear();
        for (int id = 0; id < Session.MaxSequences; id++)
        {
            _free.Add(id);
        }

        foreach (var slot in _active)
        {
            slot.Branches.Clear();
            slot.Cached.Clear();
            _free.Remove(slot.Sequence);
        }
    }

    private void DropBranches(SequenceSlot slot, int keepSequence)
    {
        foreach (int id in slot.Branches)
        {
            if (id != keepSequence)
            {
                Free(id);
            }
        }

        if (slot.Branches.Count > 0 && slot.Sequence != keepSequence)
        {
            // The old main sequence lost: it was one of the branches and is freed above.
            slot.Sequence = keepSequence;
        }

        slot.Branches.Clear();
    }

    private void Free(int id)
    {
        Session.RemoveTokens(id, 0);
        _free.Add(id);
    }

    private int TakeSequence(SequenceSlot? keep)
    {
        if (_free.Count == 0)
        {
            // Take the id of the least recently used idle conversation (never the one being copied).
            var victim = _idle.Where(s => s != keep).MinBy(s => s.LastUsed)
                ?? throw new InvalidOperationException($"Every sequence of '{Session.ModelName}' is in use ({Session.MaxSequences}); raise the sequence count.");
            _idle.Remove(victim);
            Free(victim.Sequence);
            victim.Cached.Clear();
        }

        int id = _free.Min;
        _free.Remove(id);
        return id;
    }
}
