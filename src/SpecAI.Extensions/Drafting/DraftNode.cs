using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>One token of a draft tree. The root (depth 0) is the last committed token.</summary>
public sealed class DraftNode
{
    internal DraftNode(int token, int depth, int parent)
    {
        Token = token;
        Depth = depth;
        Parent = parent;
        DraftToken = token;
    }

    /// <summary>The token.</summary>
    public int Token { get; }

    /// <summary>Distance from the root.</summary>
    public int Depth { get; }

    /// <summary>Index of the parent node, -1 for the root.</summary>
    public int Parent { get; }

    /// <summary>The draft branches whose path runs through this node, in branch order.</summary>
    public IReadOnlyList<int> Branches => BranchList;

    /// <summary>The same list, for the tree to extend and for the engine to walk without an interface enumerator.</summary>
    internal List<int> BranchList { get; } = new();

    /// <summary>
    /// The draft distribution q the children of this node were drawn from (dense, or sparse over the tokens that
    /// survived truncation); <see langword="null"/> when the children are deterministic (one-hot q) or the node
    /// has none. Pooled by the tree: valid until the tree is reset or released.
    /// </summary>
    internal TokenDistribution? ChildDistribution { get; set; }

    /// <summary>The token's id in the draft model's vocabulary: the token itself unless the vocabularies differ; -1 when the draft has no such token (nothing is drafted below it).</summary>
    internal int DraftToken { get; set; }

    /// <summary>Where this node's logits land in the target's verification batch (-1 until batched).</summary>
    internal int TargetBatchIndex { get; set; } = -1;
}
