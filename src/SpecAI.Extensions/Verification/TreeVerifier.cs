using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>The target's side of one tree walk: its distribution at each drafted node, and the judge's scores.</summary>
internal interface ITreeTarget
{
    /// <summary>Writes the target's distribution p at a node of the tree.</summary>
    /// <param name="node">Index of the node in the tree (the root is 0).</param>
    /// <param name="committed">Tokens the walk committed before this node, in order (they precede it in the context).</param>
    /// <param name="p">Receives the distribution.</param>
    void Distribution(int node, ReadOnlySpan<int> committed, TokenDistribution p);

    /// <summary>The judge's score of each candidate, read at the candidate's own node; null when no judge scores.</summary>
    /// <param name="candidateNodes">The node each candidate leads to.</param>
    /// <returns>One score per candidate, or null.</returns>
    double[]? JudgeScores(ReadOnlySpan<int> candidateNodes);
}

/// <summary>
/// Verifies a whole draft tree as one step: walks it from the root with an <see cref="ISpeculativeVerifier"/>,
/// committing one token per node until a node's drafts are all rejected or a stop rule holds, and returns what
/// was committed and why (<see cref="TreeVerification"/>). The caller applies the result.
/// </summary>
/// <remarks>
/// After the rule commits token y at a node, every branch whose candidate there was y survives and the walk
/// continues below y; the branches meet in one node per distinct candidate (see <see cref="DraftTree"/>), so
/// the tree's root-to-leaf paths are the drafts. The walk ends early when the committed token is a stop token
/// or the token budget is spent, exactly where the request would stop generating, so no random number is drawn
/// for a token that would never be used. Holds vocabulary-sized buffers: one instance per engine, used by one
/// thread, for one request at a time; the result is valid until the next <see cref="Verify"/>.
/// </remarks>
internal sealed class TreeVerifier
{
    private readonly TokenDistribution _p;
    private readonly NodeVerifier _nodes;
    private readonly List<int> _candidates = new();
    private readonly List<int> _candidateNodes = new();
    private readonly TreeVerification _result = new();

    /// <summary>Creates a tree verifier for distributions over <paramref name="vocabularySize"/> tokens.</summary>
    /// <param name="vocabularySize">The target's vocabulary size.</param>
    public TreeVerifier(int vocabularySize)
    {
        _p = new TokenDistribution(vocabularySize);
        _nodes = new NodeVerifier(vocabularySize);
    }

    /// <summary>Verifies <paramref name="tree"/> against the target's distributions.</summary>
    /// <param name="tree">The draft tree; node 0 is the pending token, whose distribution gives the first committed token.</param>
    /// <param name="target">The target's distributions (and judge scores) at the tree's nodes.</param>
    /// <param name="rule">The per-node rule.</param>
    /// <param name="random">The request's random source.</param>
    /// <param name="budget">Most tokens the walk may commit (it always commits at least one).</param>
    /// <param name="stopTokens">Tokens that end generation once committed.</param>
    /// <param name="measuresBound">Whether to measure the optimal-acceptance diagnostic at each node with candidates.</param>
    /// <returns>The committed tokens, the winning branch and the counts.</returns>
    public TreeVerification Verify(DraftTree tree, ITreeTarget target, ISpeculativeVerifier rule, IRandomSource random, int budget, IReadOnlySet<int> stopTokens, bool measuresBound)
    {
        var result = _result;
        result.Clear();
        rule.BeginStep();
        int nodeIndex = 0;
        while (true)
        {
            var node = tree.Nodes[nodeIndex];
            target.Distribution(nodeIndex, CollectionsMarshal.AsSpan(result.TokenList), _p);
            CollectCandidates(tree, nodeIndex);
            var draft = tree.ChildDistributionOf(nodeIndex);
            var candidates = CollectionsMarshal.AsSpan(_candidates);
            if (measuresBound && !candidates.IsEmpty && draft is not null)
            {
                // A diagnostic, not verification: its time is reported so the caller can leave it out of the verify time.
                long diagnosticStart = Stopwatch.GetTimestamp();
                result.BoundList.Add(_nodes.MeasureAcceptance(rule, _p, draft, candidates));
                result.DiagnosticTime += Stopwatch.GetElapsedTime(diagnosticStart);
            }

            var verdict = _nodes.Verify(rule, _p, draft, candidates, random, target.JudgeScores(CollectionsMarshal.AsSpan(_candidateNodes)));
            if (rule.LastRelaxationDistance is var distance && !double.IsNaN(distance))
            {
                result.RelaxationList.Add(distance);
            }

            result.TokenList.Add(verdict.Token);
            if (verdict.IsAccepted)
            {
                result.Accepted++;
            }

            int child = ChildOnPath(verdict.Token);
            if (!candidates.IsEmpty)
            {
                result.DepthList.Add((node.Depth + 1, child >= 0));
            }

            if (child < 0)
            {
                break;
            }

            nodeIndex = child;
            result.Winner = tree.Nodes[child].BranchList[0];
            result.PathLength++;
            if (stopTokens.Contains(verdict.Token) || result.TokenList.Count >= budget)
            {
                break;
            }
        }

        result.LossyAccepted = rule.LossyAcceptancesInStep;
        return result;
    }

    /// <summary>The candidates drafted below a node and the nodes they lead to.</summary>
    private void CollectCandidates(DraftTree tree, int nodeIndex)
    {
        _candidates.Clear();
        _candidateNodes.Clear();
        var node = tree.Nodes[nodeIndex];
        foreach (int b in node.BranchList)
        {
            var path = tree.PathOf(b);
            if (path.Count > node.Depth)
            {
                _candidates.Add(tree.Nodes[path[node.Depth]].Token);
                _candidateNodes.Add(path[node.Depth]);
            }
        }
    }

    private int ChildOnPath(int token)
    {
        int i = _candidates.IndexOf(token);
        return i < 0 ? -1 : _candidateNodes[i];
    }
}

/// <summary>The outcome of verifying one draft tree (see <see cref="TreeVerifier"/>); reused by its verifier.</summary>
internal sealed class TreeVerification
{
    internal List<int> TokenList { get; } = new();

    internal List<(int Depth, bool Continued)> DepthList { get; } = new();

    internal List<double> RelaxationList { get; } = new();

    internal List<(double Optimal, double Achieved)> BoundList { get; } = new();

    /// <summary>The committed tokens, in order: the accepted drafts, then the target's own token unless a stop rule ended the walk on a draft.</summary>
    public IReadOnlyList<int> Tokens => TokenList;

    /// <summary>The branch whose path the committed tokens follow (any of those that share it).</summary>
    public int Winner { get; internal set; }

    /// <summary>How many committed tokens lie on <see cref="Winner"/>'s path (the accepted drafts).</summary>
    public int PathLength { get; internal set; }

    /// <summary>Committed tokens the rule took from the drafts.</summary>
    public int Accepted { get; internal set; }

    /// <summary>Of <see cref="Accepted"/>, those a lossy relaxation kept although the lossless rule rejected them (judge decoding).</summary>
    public int LossyAccepted { get; internal set; }

    /// <summary>Each node with candidates the walk verified: its depth (from 1) and whether a draft was committed there.</summary>
    public IReadOnlyList<(int Depth, bool Continued)> Depths => DepthList;

    /// <summary>The relaxation distance at each node where the rule relaxed the target (LANTERN); empty otherwise.</summary>
    public IReadOnlyList<double> Relaxations => RelaxationList;

    /// <summary>The optimal-acceptance diagnostic at each node where it was measured.</summary>
    public IReadOnlyList<(double Optimal, double Achieved)> Bounds => BoundList;

    /// <summary>Time spent measuring the diagnostic (not verification).</summary>
    public TimeSpan DiagnosticTime { get; internal set; }

    internal void Clear()
    {
        TokenList.Clear();
        DepthList.Clear();
        RelaxationList.Clear();
        BoundList.Clear();
        Winner = 0;
        PathLength = 0;
        Accepted = 0;
        LossyAccepted = 0;
        DiagnosticTime = TimeSpan.Zero;
    }
}
