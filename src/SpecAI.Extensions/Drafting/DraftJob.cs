using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Drafting;

/// <summary>One request's share of a batched drafting pass of the draft model.</summary>
internal sealed class DraftJob
{
    public DraftJob(DraftRequest request, DraftTree tree, SequenceSlot slot, int length)
    {
        Request = request;
        Tree = tree;
        Slot = slot;
        Length = length;
    }

    public DraftRequest Request { get; }

    public DraftTree Tree { get; }

    /// <summary>The request's sequences in the draft model's KV cache.</summary>
    public SequenceSlot Slot { get; }

    /// <summary>Most tokens per branch (0 with <see cref="PrefillTo"/> set: only catch up).</summary>
    public int Length { get; }

    /// <summary>The request's draft-token list when the draft's vocabulary differs from the target's; null when they are identical.</summary>
    public DraftTokenBridge? Bridge { get; init; }

    /// <summary>Most tokens the request may hold in the draft's KV cache (its share of the context).</summary>
    public int ContextLimit { get; init; } = int.MaxValue;

    /// <summary>The committed tokens as the draft's tokens this step (the committed tokens themselves when the vocabularies are identical).</summary>
    public IReadOnlyList<int> History { get; set; } = [];

    /// <summary>Whether the job drafts this step (rather than only catching up).</summary>
    public bool Drafts { get; set; }

    /// <summary>When above 0, the job only decodes the committed tokens up to this count (a prompt chunk) and drafts nothing.</summary>
    public int PrefillTo { get; init; }

    /// <summary>Tokens branch 0 already held from an earlier source (prompt lookup) when drafting began.</summary>
    public int Prefix { get; set; }

    /// <summary>Deepest drafted depth decoded into the slot's sequences.</summary>
    public int DecodedDepth { get; set; }

    /// <summary>Whether candidates are ranked deterministically (temperature 0 with a top-k or greedy-draft scheme).</summary>
    public bool Ranked { get; set; }

    /// <summary>Batch index of the row whose logits give the distribution below the tree's tip, in the current draft batch.</summary>
    public int TipBatchIndex { get; set; } = -1;
}
