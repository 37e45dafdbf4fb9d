using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Drafts with a small model. The engine drafts for every running request at once: one draft-model batch
/// catches every request up to its committed tokens, then one batch per depth carries every request's
/// nodes at that depth (a node shared by several branches is decoded once with all their sequence ids).
/// </summary>
/// <remarks>
/// At temperature 0 the draft law is one-hot, so a <see cref="DraftScheme.TopK"/> or
/// <see cref="DraftScheme.GreedyDraft"/> node would offer one candidate only. There the candidates are the
/// tokens ranked by the draft's adjusted logits (<see cref="LogitProcessor.AdjustLogits"/>: bias, penalties,
/// constraint), greedy token first, and the node is marked deterministic: greedy verification is lossless
/// for any deterministic choice of drafts. When the tree already holds a single-branch prefix (drafted by
/// an earlier source, see <see cref="CombinedDraftSource"/>), the model decodes that prefix with the
/// catch-up rows and drafts the rest of the length below it.
/// </remarks>
public sealed class ModelDraftSource : IDraftSource
{
    private readonly ModelMemory _memory;
    private readonly DecodeBatch _batch = new();
    private readonly List<(DraftJob Job, int Node)> _rows = new();
    private readonly List<int> _sequences = new();
    private readonly DraftJob[] _single = new DraftJob[1];
    private int[] _candidates = new int[16];
    private double[] _scratch = Array.Empty<double>();
    private SequenceSlot? _singleSlot;
    private int _depth;

    /// <summary>Creates a draft source over a draft-model session.</summary>
    /// <param name="session">The draft model; must share the target's vocabulary.</param>
    public ModelDraftSource(IModelSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _memory = new ModelMemory(session);
    }

    /// <summary>The draft model's session.</summary>
    public IModelSession Session => _memory.Session;

    /// <summary>The draft model's sequences (one slot per request).</summary>
    internal ModelMemory Memory => _memory;

    /// <inheritdoc />
    /// <remarks>This entry point drafts for one conversation at a time; the engine drafts for all its requests in one pass.</remarks>
    /// <exception cref="InvalidOperationException">The tree holds a drafted prefix and more than one branch.</exception>
    public void Draft(DraftRequest request, DraftTree tree, int draftLength)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tree);
        _singleSlot ??= _memory.Acquire(request.Committed, request.Committed.Count - 1);
        _single[0] = new DraftJob(request, tree, _singleSlot, Math.Min(draftLength, (Session.ContextSize - request.Committed.Count) / tree.BranchCount));
        DraftAll(_single);
    }

    /// <inheritdoc />
    public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        if (_single[0] is { } job)
        {
            Commit(job, winnerBranch, pathLength, committed);
            _single[0] = null!;
        }
    }

    /// <inheritdoc />
    public void Reset() => _memory.Reset();

    /// <summary>Drafts the trees of several requests together (and catches prefill-only jobs up).</summary>
    internal void DraftAll(IReadOnlyList<DraftJob> jobs)
    {
        int vocabulary = Session.VocabularySize;
        if (_scratch.Length < vocabulary)
        {
            _scratch = new double[vocabulary];
        }

        // Catch up: every committed token the draft has not seen, then any looked-up prefix, logits at the tip.
        _batch.Clear();
        _rows.Clear();
        int maxLength = 0;
        foreach (var job in jobs)
        {
            var committed = job.Request.Committed;
            int n = committed.Count;
            job.Prefix = job.Tree.BranchCount > 0 ? job.Tree.PathOf(0).Count : 0;
            job.DecodedDepth = 0;
            if (job.Prefix > 0 && job.Tree.BranchCount > 1)
            {
                throw new InvalidOperationException("A draft model can continue a drafted prefix only on a single-branch tree.");
            }

            bool drafts = job.PrefillTo == 0 && job.Length > job.Prefix;
            job.Ranked = drafts && job.Request.Processor.Options.IsGreedy && job.Request.Scheme is DraftScheme.TopK or DraftScheme.GreedyDraft;
            int until = drafts ? n : Math.Min(job.PrefillTo, n - 1);
            _memory.Truncate(job.Slot, job.Slot.CommonPrefix(committed, drafts ? n - 1 : until));
            for (int i = job.Slot.Cached.Count; i < until; i++)
            {
                bool tip = drafts && job.Prefix == 0 && i == n - 1;
                AddRow(job, committed[i], i, job.Slot.Sequence, tip ? 0 : -1);
                job.Slot.Cached.Add(committed[i]);
            }

            if (!drafts)
            {
                continue;
            }

            var path = job.Tree.PathOf(0);
            for (int i = 0; i < job.Prefix; i++)
            {
                AddRow(job, job.Tree.Nodes[path[i]].Token, n + i, job.Slot.Sequence, i == job.Prefix - 1 ? path[i] : -1);
            }

            job.DecodedDepth = job.Prefix;
            maxLength = Math.Max(maxLength, job.Length);
        }

        _depth = 0;
        Flush();
        foreach (var job in jobs)
        {
            if (job.PrefillTo == 0 && job.Length > job.Prefix && job.Tree.BranchCount > 1)
            {
                int made = _memory.Fork(job.Slot, job.Tree.BranchCount);
                if (made != job.Tree.BranchCount)
                {
                    throw new InvalidOperationException($"{job.Tree.BranchCount} draft branches need {job.Tree.BranchCount} sequences of '{Session.ModelName}', and {made} were free.");
                }
            }
        }

        foreach (var job in jobs)
        {
            if (job.PrefillTo == 0 && job.Length > job.Prefix)
            {
                long started = Stopwatch.GetTimestamp();
                ExtendNode(job, job.Prefix == 0 ? 0 : job.Tree.PathOf(0)[job.Prefix - 1]);
                job.Request.Statistics.RecordDraftOverhead(Stopwatch.GetElapsedTime(started));
            }
        }

        // One batch per depth across every request's tree.
        for (int depth = 1; depth < maxLength; depth++)
        {
            _depth = depth;
            foreach (var job in jobs)
            {
                if (job.PrefillTo != 0 || depth <= job.Prefix || depth >= job.Length)
                {
                    continue;
                }

                int n = job.Request.Committed.Count;
                var nodes = job.Tree.Nodes;
                for (int i = 1; i < nodes.Count; i++)
                {
                    var node = nodes[i];
                    if (node.Depth != depth)
                    {
                        continue;
                    }

                    _sequences.Clear();
                    foreach (int b in node.Branches)
                    {
                        _sequences.Add(job.Slot.BranchSequence(b));
                    }

                    node.TargetBatchIndex = -1;
                    AddRows(job, node.Token, n - 1 + depth, CollectionsMarshal.AsSpan(_sequences), i);
                }
            }

            if (_batch.Count == 0)
            {
                break;
            }

            Flush();
        }
    }

    /// <summary>Keeps the branch the target followed, trimmed to what is committed, in the job's slot.</summary>
    internal void Commit(DraftJob job, int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        // The winner's sequence holds the committed prefix plus its drafted nodes down to the decoded depth.
        int valid = Math.Min(committed.Length, job.Slot.Cached.Count + Math.Min(pathLength, job.DecodedDepth));
        _memory.Commit(job.Slot, winnerBranch, valid, committed, drafted: job.DecodedDepth > 0);
    }

    private void AddRow(DraftJob job, int token, int position, int sequence, int node)
    {
        _sequences.Clear();
        _sequences.Add(sequence);
        AddRows(job, token, position, CollectionsMarshal.AsSpan(_sequences), node);
    }

    private void AddRows(DraftJob job, int token, int position, ReadOnlySpan<int> sequences, int node)
    {
        if (_batch.Count == Session.MaxBatchSize)
        {
            Flush();
        }

        _batch.Add(token, position, sequences, wantLogits: node >= 0);
        _rows.Add((job, node));
    }

    /// <summary>Decodes the pending rows; each row that asked for logits gets its children drafted at once (logits live until the next decode).</summary>
    private void Flush()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        long decodeStart = Stopwatch.GetTimestamp();
        Session.Decode(_batch);
        var elapsed = Stopwatch.GetElapsedTime(decodeStart);
        DraftJob? last = null;
        for (int row = 0; row < _rows.Count; row++)
        {
            var (job, node) = _rows[row];
            if (job != last)
            {
                job.Request.Statistics.RecordDecode(false, _batch.Count, elapsed, prefill: false);
                last = job;
            }

            if (node < 0)
            {
                continue;
            }

            long started = Stopwatch.GetTimestamp();
            int n = job.Request.Committed.Count;
            var committed = job.Request.Committed;
            AppendPath(job.Tree, node, committed);
            DraftDistribution(job, node, Session.GetLogits(row), CollectionsMarshal.AsSpan(committed), job.Request.GeneratedCount + committed.Count - n);
            committed.RemoveRange(n, committed.Count - n);
            if (_depth > 0)
            {
                job.DecodedDepth = _depth;
                ExtendNode(job, node);
            }

            job.Request.Statistics.RecordDraftOverhead(Stopwatch.GetElapsedTime(started));
        }

        _batch.Clear();
        _rows.Clear();
    }

    // q of the node's children; when ranked (temperature 0), a softmax of the adjusted logits used only to rank.
    private static void DraftDistribution(DraftJob job, int nodeIndex, ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount)
    {
        Span<double> q = job.Tree.RentChildDistribution(nodeIndex);
        if (job.Ranked)
        {
            job.Request.Processor.AdjustLogits(logits, history, generatedCount, q);
            LogitProcessor.Softmax(q);
        }
        else
        {
            job.Request.Processor.Process(logits, history, generatedCount, q);
        }
    }

    private void ExtendNode(DraftJob job, int nodeIndex)
    {
        var tree = job.Tree;
        var node = tree.Nodes[nodeIndex];
        int count = node.Branches.Count;
        if (_candidates.Length < count)
        {
            _candidates = new int[count];
        }

        var scheme = job.Ranked ? DraftScheme.TopK : job.Request.Scheme;
        int drawn = CandidateSampler.Sample(scheme, tree.ChildDistributionOf(nodeIndex), count, job.Request.Random, _candidates, _scratch);
        if (job.Ranked)
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
