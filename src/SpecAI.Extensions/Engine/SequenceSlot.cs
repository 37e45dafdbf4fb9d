namespace SpecAI.Extensions.Engine;

/// <summary>
/// What one conversation holds in one model's KV cache: a main sequence with the committed tokens, plus
/// the sequences of the current step's draft branches.
/// </summary>
internal sealed class SequenceSlot
{
    public SequenceSlot(int sequence)
    {
        Sequence = sequence;
    }

    /// <summary>The sequence id that holds the committed tokens.</summary>
    public int Sequence { get; set; }

    /// <summary>The tokens the main sequence holds, from position 0.</summary>
    public List<int> Cached { get; } = new();

    /// <summary>Sequence id of each draft branch of the current step (branch 0 is the main sequence); empty when the step has one branch.</summary>
    public List<int> Branches { get; } = new();

    /// <summary>Tokens the main sequence held when its checkpoint was saved this step; -1 when the step has no checkpoint.</summary>
    public int CheckpointCount { get; set; } = -1;

    /// <summary>Time spent this step saving, restoring and replaying (taken and reset by the step that reports it).</summary>
    public TimeSpan RollbackTime { get; set; }

    /// <summary>When the slot was last used (orders idle slots for eviction).</summary>
    public long LastUsed { get; set; }

    /// <summary>The sequence id of branch <paramref name="branch"/> in this step.</summary>
    public int BranchSequence(int branch) => Branches.Count == 0 ? Sequence : Branches[branch];

    /// <summary>Length of the common prefix of the cached tokens and <paramref name="tokens"/>[0..limit).</summary>
    public int CommonPrefix(IReadOnlyList<int> tokens, int limit)
    {
        int common = 0;
        int max = Math.Min(Cached.Count, Math.Min(limit, tokens.Count));
        while (common < max && Cached[common] == tokens[common])
        {
            common++;
        }

        return common;
    }
}
