namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// Which target token each draft token stands for, so the draft realises the target's bigram table on the tokens
/// both vocabularies hold: by role for BOS/EOS/EOT (their texts differ between families), else by identical text
/// (byte-level BPE pieces share one spelling across tokenizers). Padding maps to nothing.
/// </summary>
internal sealed class VocabularyMap
{
    private VocabularyMap(int[] draftToTarget, bool[] targetCovered)
    {
        DraftToTarget = draftToTarget;
        TargetCovered = targetCovered;
    }

    /// <summary>Target id of each draft id, or -1.</summary>
    public int[] DraftToTarget { get; }

    /// <summary>Whether a draft token maps to each target id.</summary>
    public bool[] TargetCovered { get; }

    /// <summary>Whether every sampled target token has a draft counterpart (identical or padded vocabularies).</summary>
    public bool CoversSampledTargetTokens(ForgeVocabulary target) =>
        Enumerable.Range(0, target.Count).All(t => TargetCovered[t] || !target.IsSampled(t));

    public static VocabularyMap Create(ForgeVocabulary target, ForgeVocabulary draft)
    {
        var ids = new Dictionary<string, int>(target.Count, StringComparer.Ordinal);
        for (int t = 0; t < target.Count; t++)
        {
            if (target.TokenTypes[t] != LlamaTokenType.Unused)
            {
                ids.TryAdd(target.Tokens[t], t);
            }
        }

        var map = new int[draft.Count];
        var covered = new bool[target.Count];
        for (int d = 0; d < draft.Count; d++)
        {
            int t = draft.TokenTypes[d] == LlamaTokenType.Unused ? -1
                : d == draft.EndOfSequence ? target.EndOfSequence
                : d == draft.EndOfTurn ? target.EndOfTurn ?? target.EndOfSequence
                : d == draft.BeginOfSequence ? target.BeginOfSequence
                : ids.GetValueOrDefault(draft.Tokens[d], -1);
            map[d] = t;
            if (t >= 0)
            {
                covered[t] = true;
            }
        }

        return new VocabularyMap(map, covered);
    }
}
