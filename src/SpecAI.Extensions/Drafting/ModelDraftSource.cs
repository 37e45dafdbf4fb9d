using System.Diagnostics;
using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Drafts with a small model: k branches drafted together, one draft-model batch per depth across all
/// branches (a node shared by several branches is decoded once with all their sequence ids).
/// </summary>
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
    public void Draft(DraftRequest request, DraftTree tree, int draftLength)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tree);
        var session = _cache.Session;
        List<int> committed = request.Committed;
        int n = committed.Count;
        _decodedDepth = 0;
        draftLength = Math.Min(draftLength, session.ContextSize - n);
        if (draftLength <= 0)
        {
            return;
        }

        int vocabulary = session.VocabularySize;
        if (_scratch.Length < vocabulary)
        {
            _scratch = new double[vocabulary];
        }

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(committed);
        int rootIndex = _cache.Prefill(span, n, logitsAtLast: true, _batch, request.Statistics, isTarget: false);
        long started = Stopwatch.GetTimestamp();
        Span<double> q = tree.RentChildDistribution(0);
        request.Processor.Process(session.GetLogits(rootIndex), span, request.GeneratedCount, q);
        if (tree.BranchCount > 1)
        {
            _cache.Fork(tree.BranchCount);
        }

        ExtendNode(request, tree, 0);
        for (int depth = 1; depth < draftLength; depth++)
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
                _batch.Add(node.Token, n - 1 + depth, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_sequences), wantLogits: true);
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
                int pathStart = committed.Count;
                AppendPath(tree, nodeIndex, committed);
                q = tree.RentChildDistribution(nodeIndex);
                request.Processor.Process(session.GetLogits(j), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(committed), request.GeneratedCount + committed.Count - n, q);
                committed.RemoveRange(pathStart, committed.Count - pathStart);
                ExtendNode(request, tree, nodeIndex);
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

    private void ExtendNode(DraftRequest request, DraftTree tree, int nodeIndex)
    {
        var node = tree.Nodes[nodeIndex];
        int count = node.Branches.Count;
        if (_candidates.Length < count)
        {
            _candidates = new int[count];
        }

        int drawn = CandidateSampler.Sample(request.Scheme, tree.ChildDistributionOf(nodeIndex), count, request.Random, _candidates, _scratch);

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
