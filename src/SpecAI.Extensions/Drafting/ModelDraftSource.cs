using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Drafts with a small model: k branches drafted together, one draft-model batch per depth across all
/// branches (a node shared by several branches is decoded once with all their sequence ids).
/// </summary>
/// <remarks>
/// At temperature 0 the draft law is one-hot, so a <see cref="DraftScheme.TopK"/> or
/// <see cref="DraftScheme.GreedyDraft"/> node would offer one candidate only. There the candidates are the
/// tokens ranked by the draft's adjusted logits (<see cref="LogitProcessor.AdjustLogits"/>: bias, penalties,
/// constraint), greedy token first, and the node is marked deterministic: greedy verification is lossless
/// for any deterministic choice of drafts. When the tree already holds a single-branch prefix (drafted by
/// an earlier source, see <see cref="CombinedDraftSource"/>), the model decodes that prefix in one batch
/// and drafts the rest of the length below it.
/// </remarks>
public sealed class ModelDraftSource : IDraftSource
{
    private readonly SessionCache _cache;
    private readonly DecodeBatch _batch = new();
    private readonly List<int> _nodesAtDepth = new();
    private readonly List<int> _sequences = new();
    private int[] _candidates = new int[16];
    private double[] _scratch = Array.Empty<double>();
    private int _decodedDepth;

    /// <summary>Creates a draft source over a draft-model session.</summary>
    /// <param name="session">The draft model; must share the target's vocabulary.</param>
    public ModelDraftSource(IModelSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _cache = new SessionCache(session);
    }

    /// <summary>The draft model's session.</summary>
    public IModelSession Session => _cache.Session;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The tree holds a drafted prefix and more than one branch.</exception>
    public void Draft(DraftRequest request, DraftTree tree, int draftLength)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tree);
        var session = _cache.Session;
        List<int> committed = request.Committed;
        int n = committed.Count;
        int prefix = tree.PathOf(0).Count;
        _decodedDepth = 0;
        if (prefix > 0 && tree.BranchCount > 1)
        {
            throw new InvalidOperationException("A draft model can continue a drafted prefix only on a single-branch tree.");
        }

        draftLength = Math.Min(draftLength, (session.ContextSize - n) / tree.BranchCount);
        if (draftLength <= prefix)
        {
            return;
        }

        int vocabulary = session.VocabularySize;
        if (_scratch.Length < vocabulary)
        {
            _scratch = new double[vocabulary];
        }

        bool ranked = request.Processor.Options.IsGreedy && request.Scheme is DraftScheme.TopK or DraftScheme.GreedyDraft;
        var span = CollectionsMarshal.AsSpan(committed);
        long started;
        if (prefix == 0)
        {
            int rootIndex = _cache.Prefill(span, n, logitsAtLast: true, _batch, request.Statistics, isTarget: false);
            started = Stopwatch.GetTimestamp();
            DraftDistribution(request, tree, 0, session.GetLogits(rootIndex), span, request.GeneratedCount, ranked);
            if (tree.BranchCount > 1)
            {
                _cache.Fork(tree.BranchCount);
            }

            ExtendNode(request, tree, 0, ranked);
        }
        else
        {
            // The looked-up tokens: one batch on the main sequence, logits at the last one only.
            _cache.Prefill(span, n, logitsAtLast: false, _batch, request.Statistics, isTarget: false);
            var path = tree.PathOf(0);
            _batch.Clear();
            for (int i = 0; i < prefix; i++)
            {
                _batch.Add(tree.Nodes[path[i]].Token, n + i, _cache.MainSequence, wantLogits: i == prefix - 1);
            }

            long decodeStart = Stopwatch.GetTimestamp();
            session.Decode(_batch);
            request.Statistics.RecordDecode(false, _batch.Count, Stopwatch.GetElapsedTime(decodeStart), prefill: false);
            started = Stopwatch.GetTimestamp();
            _decodedDepth = prefix;
            int tip = path[prefix - 1];
            AppendPath(tree, tip, committed);
            DraftDistribution(request, tree, tip, session.GetLogits(prefix - 1), CollectionsMarshal.AsSpan(committed), request.GeneratedCount + prefix, ranked);
            committed.RemoveRange(n, committed.Count - n);
            ExtendNode(request, tree, tip, ranked);
        }

        for (int depth = prefix + 1; depth < draftLength; depth++)
        {
            _nodesAtDepth.Clear();
            _batch.Clear();
            for (int i = 1; i < tree.Nodes.Count; i++)
            {
                var node = tree.Nodes[i];
                if (node.Depth != depth)
                {
                    continue;
                }

                _sequences.Clear();
                foreach (int b in node.Branches)
                {
                    _sequences.Add(tree.BranchCount > 1 ? _cache.BranchSequences[b] : _cache.MainSequence);
                }

                node.TargetBatchIndex = -1;
                _batch.Add(node.Token, n - 1 + depth, CollectionsMarshal.AsSpan(_sequences), wantLogits: true);
                _nodesAtDepth.Add(i);
            }

            if (_nodesAtDepth.Count == 0)
            {
                break;
            }

            request.Statistics.RecordDraftOverhead(Stopwatch.GetElapsedTime(started));
            long decodeStart = Stopwatch.GetTimestamp();
            session.Decode(_batch);
            request.Statistics.RecordDecode(false, _batch.Count, Stopwatch.GetElapsedTime(decodeStart), prefill: false);
            started = Stopwatch.GetTimestamp();
            _decodedDepth = depth;
            for (int j = 0; j < _nodesAtDepth.Count; j++)
            {
                int nodeIndex = _nodesAtDepth[j];
                AppendPath(tree, nodeIndex, committed);
                DraftDistribution(request, tree, nodeIndex, session.GetLogits(j), CollectionsMarshal.AsSpan(committed), request.GeneratedCount + committed.Count - n, ranked);
                committed.RemoveRange(n, committed.Count - n);
                ExtendNode(request, tree, nodeIndex, ranked);
            }
        }

        request.Statistics.RecordDraftOverhead(Stopwatch.GetElapsedTime(started));
    }

    /// <inheritdoc />
    public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        // The winner's sequence holds the committed prefix plus its drafted nodes down to the decoded depth.
        int valid = Math.Min(committed.Length, _cache.CachedCount + Math.Min(pathLength, _decodedDepth));
        _cache.Commit(winnerBranch, valid, committed);
        _decodedDepth = 0;
    }

    /// <inheritdoc />
    public void Reset() => _cache.Reset();

    // q of the node's children; when ranked (temperature 0), a softmax of the adjusted logits used only to rank.
    private static void DraftDistribution(DraftRequest request, DraftTree tree, int nodeIndex, ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount, bool ranked)
    {
        TokenDistribution q = tree.RentChildDistribution(nodeIndex);
        if (ranked)
        {
            request.Processor.Rank(logits, history, generatedCount, q);
        }
        else
        {
            request.Processor.Process(logits, history, generatedCount, q);
        }
    }

    private void ExtendNode(DraftRequest request, DraftTree tree, int nodeIndex, bool ranked)
    {
        var node = tree.Nodes[nodeIndex];
        int count = node.Branches.Count;
        if (_candidates.Length < count)
        {
            _candidates = new int[count];
        }

        var scheme = ranked ? DraftScheme.TopK : request.Scheme;
        int drawn = CandidateSampler.Sample(scheme, tree.ChildDistributionOf(nodeIndex)!, count, request.Random, _candidates, _scratch);
        if (ranked)
        {
            tree.MarkDeterministic(nodeIndex);
        }

        for (int i = 0; i < drawn; i++)
        {
            tree.Extend(node.Branches[i], _candidates[i]);
        }
    }

    private static void AppendPath(DraftTree tree, int nodeIndex, List<int> destination)
    {
        int start = destination.Count;
        for (int i = nodeIndex; i > 0; i = tree.Nodes[i].Parent)
        {
            destination.Add(tree.Nodes[i].Token);
        }

        destination.Reverse(start, destination.Count - start);
    }
}
