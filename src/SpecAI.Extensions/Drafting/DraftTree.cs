using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// The drafts of one step: k branches of up to L tokens each below the last committed token. Branches
/// with the same prefix share nodes, so the target decodes a shared prefix once. The engine owns each request's tree
/// (resets it before a step, releases it after); a draft source only reads it and <see cref="Extend"/>s it.
/// </summary>
public sealed class DraftTree
{
    private readonly List<DraftNode> _nodes = new();
    private readonly List<List<int>> _paths = new();
    private readonly Stack<TokenDistribution> _free = new();
    private int _vocabularySize;

    /// <summary>Creates an empty tree (the engine's; reset before each step).</summary>
    internal DraftTree()
    {
    }

    /// <summary>All nodes; index 0 is the root.</summary>
    public IReadOnlyList<DraftNode> Nodes => _nodes;

    /// <summary>Number of draft branches.</summary>
    public int BranchCount => _paths.Count;

    /// <summary>Number of drafted tokens (nodes below the root).</summary>
    public int DraftedCount => Math.Max(0, _nodes.Count - 1);

    /// <summary>Longest branch.</summary>
    public int Depth { get; private set; }

    /// <summary>Starts a new tree of <paramref name="branchCount"/> empty branches below <paramref name="rootToken"/>.</summary>
    /// <param name="rootToken">The last committed token.</param>
    /// <param name="branchCount">Number of drafts (at least 1).</param>
    /// <param name="vocabularySize">Vocabulary size, for pooled distributions.</param>
    internal void Reset(int rootToken, int branchCount, int vocabularySize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(branchCount, 1);
        Release();
        if (vocabularySize != _vocabularySize)
        {
            _free.Clear();
        }

        _vocabularySize = vocabularySize;
        var root = new DraftNode(rootToken, 0, -1);
        for (int b = 0; b < branchCount; b++)
        {
            root.BranchList.Add(b);
            _paths.Add(new List<int>());
        }

        _nodes.Add(root);
        Depth = 0;
    }

    /// <summary>The node indices of branch <paramref name="branch"/> from depth 1 down.</summary>
    /// <param name="branch">Branch index.</param>
    /// <returns>Node indices.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="branch"/> is not a branch of the tree.</exception>
    public IReadOnlyList<int> PathOf(int branch) => _paths[CheckBranch(branch)];

    /// <summary>The node branch <paramref name="branch"/> has reached (its last node, or the root).</summary>
    /// <param name="branch">Branch index.</param>
    /// <returns>Node index.</returns>
    public int TipOf(int branch) => _paths[branch].Count == 0 ? 0 : _paths[branch][^1];

    /// <summary>Extends a branch by one token below its tip, sharing the node with any branch that drew the same token there.</summary>
    /// <param name="branch">Branch index.</param>
    /// <param name="token">The drafted token.</param>
    /// <returns>The node index.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="branch"/> is not a branch of the tree, or <paramref name="token"/> is negative.</exception>
    public int Extend(int branch, int token)
    {
        CheckBranch(branch);
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        int parent = TipOf(branch);
        int depth = _nodes[parent].Depth + 1;
        int node = -1;
        // Children come after their parent in the list: scan back to it, whatever order the branches grew in.
        for (int i = _nodes.Count - 1; i > parent; i--)
        {
            if (_nodes[i].Parent == parent && _nodes[i].Token == token)
            {
                node = i;
                break;
            }
        }

        if (node < 0)
        {
            _nodes.Add(new DraftNode(token, depth, parent));
            node = _nodes.Count - 1;
        }

        _nodes[node].BranchList.Add(branch);
        _paths[branch].Add(node);
        Depth = Math.Max(Depth, depth);
        return node;
    }

    /// <summary>The draft distribution of <paramref name="node"/>'s children, to be written: a pooled distribution over the vocabulary.</summary>
    /// <param name="node">Node index.</param>
    /// <returns>The node's distribution (the same one on every call until the node is marked deterministic or the tree released).</returns>
    internal TokenDistribution RentChildDistribution(int node)
        => _nodes[node].ChildDistribution ??= _free.TryPop(out var pooled) ? pooled : new TokenDistribution(_vocabularySize);

    /// <summary>Draft distribution q of the children of <paramref name="node"/>; <see langword="null"/> for deterministic children.</summary>
    /// <param name="node">Node index.</param>
    /// <returns>The distribution or null.</returns>
    internal TokenDistribution? ChildDistributionOf(int node) => _nodes[node].ChildDistribution;

    /// <summary>Drops a distribution that turned out deterministic (one-hot candidates).</summary>
    /// <param name="node">Node index.</param>
    internal void MarkDeterministic(int node)
    {
        if (_nodes[node].ChildDistribution is { } distribution)
        {
            _free.Push(distribution);
            _nodes[node].ChildDistribution = null;
        }
    }

    /// <summary>Returns the distributions to the tree's pool and empties the tree.</summary>
    internal void Release()
    {
        foreach (var node in _nodes)
        {
            if (node.ChildDistribution is { } distribution)
            {
                _free.Push(distribution);
                node.ChildDistribution = null;
            }
        }

        _nodes.Clear();
        _paths.Clear();
        Depth = 0;
    }

    private int CheckBranch(int branch)
    {
        if ((uint)branch >= (uint)_paths.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(branch), branch, $"The tree has {_paths.Count} branches.");
        }

        return branch;
    }
}
