using System.Text;

namespace SpecAI.Extensions.Vocabulary;

/// <summary>
/// A one-to-one map between target and draft token ids by what the tokens stand for: text tokens by their
/// bytes (so SentencePiece '▁' and byte-level 'Ġ' agree), control tokens only by role (BOS, EOS) or by
/// identical text, unused and unknown tokens never.
/// </summary>
/// <remarks>
/// The map is injective both ways, so the draft's distribution projected onto target ids
/// (<see cref="ProjectLogits"/>) is the draft's distribution restricted to the shared tokens and renormalised
/// by the softmax that follows: token-level intersection (TLI), Timor et al., "Accelerating LLM Inference with
/// Lossless Speculative Decoding Algorithms for Heterogeneous Vocabularies", ICML 2025 (arXiv:2502.05202).
/// </remarks>
internal sealed class VocabularyMap
{
    /// <summary>
    /// The logit a target token the draft cannot propose gets. Finite on purpose: its probability after the
    /// softmax is exactly 0 whenever the draft can propose any allowed token, and when a constraint forbids
    /// every shared token the draft's law is still a valid one (over tokens it cannot continue from) rather
    /// than an error.
    /// </summary>
    public const float ExcludedLogit = float.MinValue;

    private readonly int[] _toDraft;
    private readonly int[] _toTarget;
    private readonly int[]? _identityGaps;

    private VocabularyMap(int[] toDraft, int[] toTarget, int sharedTextCount, int targetTextCount, int draftTextCount)
    {
        _toDraft = toDraft;
        _toTarget = toTarget;
        SharedTextCount = sharedTextCount;
        TargetTextCount = targetTextCount;
        DraftTextCount = draftTextCount;
        SharedCount = toDraft.Count(d => d >= 0);

        // Same ids wherever both have the token (a padded pair): the projection is a copy.
        if (toDraft.Select((d, t) => d < 0 || d == t).All(same => same))
        {
            int shared = Math.Min(toDraft.Length, toTarget.Length);
            _identityGaps = Enumerable.Range(0, shared).Where(t => toDraft[t] < 0).ToArray();
        }
    }

    /// <summary>Tokens in the target's vocabulary.</summary>
    public int TargetCount => _toDraft.Length;

    /// <summary>Tokens in the draft's vocabulary.</summary>
    public int DraftCount => _toTarget.Length;

    /// <summary>Mapped pairs, control tokens included.</summary>
    public int SharedCount { get; }

    /// <summary>Mapped pairs of text tokens.</summary>
    public int SharedTextCount { get; }

    /// <summary>Text tokens of the target (the draft can propose <see cref="SharedTextCount"/> of them).</summary>
    public int TargetTextCount { get; }

    /// <summary>Text tokens of the draft.</summary>
    public int DraftTextCount { get; }

    /// <summary>Whether every mapped token keeps its id (padded and identical pairs).</summary>
    public bool KeepsIds => _identityGaps is not null;

    /// <summary>Builds the map of two vocabularies.</summary>
    /// <param name="target">The target's vocabulary.</param>
    /// <param name="draft">The draft's vocabulary.</param>
    /// <returns>The map.</returns>
    public static VocabularyMap Create(TokenVocabulary target, TokenVocabulary draft)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(draft);
        var toDraft = new int[target.Count];
        var toTarget = new int[draft.Count];
        Array.Fill(toDraft, -1);
        Array.Fill(toTarget, -1);
        void Link(int t, int d)
        {
            if (t >= 0 && d >= 0 && toDraft[t] < 0 && toTarget[d] < 0)
            {
                toDraft[t] = d;
                toTarget[d] = t;
            }
        }

        // Roles first: the draft's BOS/EOS stand for the target's whatever their texts.
        Link(target.BeginOfSequence, draft.BeginOfSequence);
        Link(target.EndOfSequence, draft.EndOfSequence);

        // Same kind and bytes (lowest id first among duplicates), then text tokens of any kind with the same
        // bytes (a SentencePiece byte token and a byte-level BPE single-byte token).
        foreach (bool anyTextKind in new[] { false, true })
        {
            var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int d = 0; d < draft.Count; d++)
            {
                if (toTarget[d] < 0 && Key(draft, d, anyTextKind) is { } key)
                {
                    byKey.TryAdd(key, d);
                }
            }

            for (int t = 0; t < target.Count; t++)
            {
                if (toDraft[t] < 0 && Key(target, t, anyTextKind) is { } key && byKey.TryGetValue(key, out int d))
                {
                    Link(t, d);
                }
            }
        }

        int sharedText = 0, targetText = 0, draftText = 0;
        for (int t = 0; t < target.Count; t++)
        {
            if (target.IsText(t) && !target.PieceOf(t).IsEmpty)
            {
                targetText++;
                sharedText += toDraft[t] >= 0 ? 1 : 0;
            }
        }

        for (int d = 0; d < draft.Count; d++)
        {
            draftText += draft.IsText(d) && !draft.PieceOf(d).IsEmpty ? 1 : 0;
        }

        return new VocabularyMap(toDraft, toTarget, sharedText, targetText, draftText);
    }

    /// <summary>The draft id of target token <paramref name="targetToken"/>, or -1 when the draft lacks it.</summary>
    /// <param name="targetToken">Target id.</param>
    /// <returns>Draft id or -1.</returns>
    public int ToDraft(int targetToken) => (uint)targetToken < (uint)_toDraft.Length ? _toDraft[targetToken] : -1;

    /// <summary>The target id of draft token <paramref name="draftToken"/>, or -1 when the target lacks it.</summary>
    /// <param name="draftToken">Draft id.</param>
    /// <returns>Target id or -1.</returns>
    public int ToTarget(int draftToken) => (uint)draftToken < (uint)_toTarget.Length ? _toTarget[draftToken] : -1;

    /// <summary>
    /// Writes the draft's logits at target ids: a shared token gets its draft logit, every other target token
    /// <see cref="ExcludedLogit"/>. A softmax of the result is the draft's law restricted to the shared tokens.
    /// </summary>
    /// <param name="draftLogits">The draft's logits (its vocabulary's length).</param>
    /// <param name="destination">Receives the target-space logits (the target vocabulary's length).</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public void ProjectLogits(ReadOnlySpan<float> draftLogits, Span<float> destination)
    {
        if (draftLogits.Length != DraftCount || destination.Length != TargetCount)
        {
            throw new ArgumentException($"Projection needs {DraftCount} draft logits and {TargetCount} destination entries; got {draftLogits.Length} and {destination.Length}.", nameof(destination));
        }

        if (_identityGaps is { } gaps)
        {
            int shared = Math.Min(TargetCount, DraftCount);
            draftLogits[..shared].CopyTo(destination);
            destination[shared..].Fill(ExcludedLogit);
            foreach (int t in gaps)
            {
                destination[t] = ExcludedLogit;
            }

            return;
        }

        for (int t = 0; t < destination.Length; t++)
        {
            int d = _toDraft[t];
            destination[t] = d >= 0 ? draftLogits[d] : ExcludedLogit;
        }
    }

    private static string? Key(TokenVocabulary vocabulary, int token, bool anyTextKind)
    {
        var piece = vocabulary.PieceOf(token);
        if (piece.IsEmpty)
        {
            return null;
        }

        char prefix = vocabulary.KindOf(token) switch
        {
            TokenKind.Normal or TokenKind.UserDefined => anyTextKind ? 'x' : 't',
            TokenKind.Byte => anyTextKind ? 'x' : 'b',
            TokenKind.Control => anyTextKind ? '\0' : 'c',
            _ => '\0',
        };

        // Latin-1 keeps every byte as one char: a lossless key for arbitrary (even partial UTF-8) bytes.
        return prefix == '\0' ? null : prefix + Encoding.Latin1.GetString(piece);
    }
}
