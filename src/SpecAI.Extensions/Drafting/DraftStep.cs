using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// One request's share of a drafting pass: what <see cref="IDraftSource.DraftBatch"/> drafts for and
/// <see cref="IDraftSource.Commit(DraftStep, int, int, ReadOnlySpan{int})"/> reports on. The engine makes one per request and step.
/// </summary>
public sealed class DraftStep
{
    private readonly SequenceSlot? _slot;

    internal DraftStep(DraftRequest request, DraftTree tree, SequenceSlot? slot, int draftLength)
    {
        Request = request;
        Tree = tree;
        _slot = slot;
        DraftLength = draftLength;
    }

    /// <summary>The committed tokens and how to draw.</summary>
    public DraftRequest Request { get; }

    /// <summary>The tree to fill (already reset to the last committed token and the step's branch count); earlier sources' drafts stay in it.</summary>
    public DraftTree Tree { get; }

    /// <summary>Most tokens per branch this step; 0 when the request drafts nothing (a prompt chunk, or a step with no room left).</summary>
    public int DraftLength { get; }

    /// <summary>Whether the request holds sequences in the draft model's KV cache.</summary>
    internal bool HasSlot => _slot is not null;

    /// <summary>The request's sequences in the draft model's KV cache.</summary>
    internal SequenceSlot Slot => _slot ?? throw new InvalidOperationException("This request holds no sequence of the draft model.");

    /// <summary>The request's draft-token list when the draft's vocabulary differs from the target's; null when they are identical.</summary>
    internal DraftTokenBridge? Bridge { get; init; }

    /// <summary>Most tokens the request may hold in the draft's KV cache (its share of the context).</summary>
    internal int ContextLimit { get; init; } = int.MaxValue;

    /// <summary>The committed tokens as the draft's tokens this step (the committed tokens themselves when the vocabularies are identical).</summary>
    internal IReadOnlyList<int> History { get; set; } = [];

    /// <summary>Whether the draft model drafts for this step (rather than only catching up).</summary>
    internal bool Drafts { get; set; }

    /// <summary>When above 0, the draft model only decodes the committed tokens up to this count (a prompt chunk) and drafts nothing.</summary>
    internal int PrefillTo { get; init; }

    /// <summary>Tokens branch 0 already held from an earlier source (prompt lookup) when drafting began.</summary>
    internal int Prefix { get; set; }

    /// <summary>Deepest drafted depth decoded into the slot's sequences.</summary>
    internal int DecodedDepth { get; set; }

    /// <summary>Whether candidates are ranked deterministically (temperature 0 with a top-k or greedy-draft scheme).</summary>
    internal bool Ranked { get; set; }

    /// <summary>Batch index of the row whose logits give the distribution below the tree's tip, in the current draft batch.</summary>
    internal int TipBatchIndex { get; set; } = -1;

    /// <summary>Whether the draft model's batched pass handled this step (it drafted or caught a prompt chunk up).</summary>
    internal bool InModelPass { get; set; }
}
