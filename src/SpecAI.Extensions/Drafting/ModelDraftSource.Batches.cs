using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

// The shared draft-model batches: catch-up rows, one batch per depth, and the children each decoded row drafts.
internal sealed partial class ModelDraftSource
{
    /// <summary>Drafts the trees of several requests together (and catches prefill-only jobs up).</summary>
    private void DraftAll(IReadOnlyList<DraftStep> jobs)
    {
        int vocabulary = Math.Max(Session.VocabularySize, Vocabulary?.Target.Count ?? 0);
        if (_scratch.Length < vocabulary)
        {
            _scratch = new double[vocabulary];
        }

        // Catch up: every committed token the draft has not seen, then any looked-up prefix, logits at the tip. Depth 0
        // from the first row on: a full batch flushes mid-catch-up, and a tip flushed there is not a node to extend yet.
        _batch.Clear();
        _rows.Clear();
        _depth = 0;
        int maxLength = 0;
        foreach (var job in jobs)
        {
            if (CatchUp(job))
            {
                maxLength = Math.Max(maxLength, job.DraftLength);
            }
        }

        Flush();
        foreach (var job in jobs)
        {
            if (job.Drafts)
            {
                // The draft model may be recurrent too: before its drafts are decoded (and the slot forked).
                _memory.PrepareRollback(job.Slot, job.DraftLength, job.Tree.BranchCount);
            }

            if (job.Drafts && job.Tree.BranchCount > 1)
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
            if (job.Drafts && !DraftsText)
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
                if (!job.Drafts || depth <= job.Prefix || depth >= job.DraftLength)
                {
                    continue;
                }

                int n = job.History.Count;
                if (DraftsText)
                {
                    if (_mapped!.ContinuesText(job, depth))
                    {
                        AddRow(job, job.Bridge!.Drafted[depth - 1], n - 1 + depth, job.Slot.Sequence, 0);
                    }

                    continue;
                }

                var nodes = job.Tree.Nodes;
                for (int i = 1; i < nodes.Count; i++)
                {
                    var node = nodes[i];
                    if (node.Depth != depth || node.DraftToken < 0)
                    {
                        continue;
                    }

                    _sequences.Clear();
                    foreach (int b in node.BranchList)
                    {
                        _sequences.Add(job.Slot.BranchSequence(b));
                    }

                    node.TargetBatchIndex = -1;
                    AddRows(job, node.DraftToken, n - 1 + depth, CollectionsMarshal.AsSpan(_sequences), i);
                }
            }

            if (_batch.Count == 0)
            {
                break;
            }

            Flush();
        }

        foreach (var job in jobs)
        {
            if (job.Drafts && DraftsText)
            {
                _mapped!.FinishText(job);
            }
        }
    }

    /// <summary>
    /// Queues the rows that bring the job's slot up to its committed tokens (as the draft's tokens), then any
    /// looked-up prefix, with logits at the tip; returns whether the job drafts this step.
    /// </summary>
    private bool CatchUp(DraftStep job)
    {
        var committed = job.Request.Committed;
        int n = committed.Count;
        var tree = job.Tree;
        job.Prefix = tree.BranchCount > 0 ? tree.PathOf(0).Count : 0;
        job.DecodedDepth = 0;
        if (job.Prefix > 0 && tree.BranchCount > 1)
        {
            throw new InvalidOperationException("A draft model can continue a drafted prefix only on a single-branch tree.");
        }

        bool drafts = job.PrefillTo == 0 && job.DraftLength > job.Prefix;
        int synced = job.PrefillTo > 0 ? Math.Min(job.PrefillTo, n) : n;
        var history = (IReadOnlyList<int>?)job.Bridge?.Sync(committed, synced) ?? committed;
        int count = job.Bridge is null ? synced : history.Count;
        drafts = job.Bridge is null ? drafts : _mapped!.Prepare(job, drafts, count);

        job.History = history;
        job.Drafts = drafts;
        job.Ranked = drafts && !DraftsText && job.Request.Processor.Options.IsGreedy && job.Request.Scheme is DraftScheme.TopK or DraftScheme.GreedyDraft;

        // A prompt chunk decodes whole; otherwise the last token stays pending (decoded with logits when drafting starts).
        int until = Math.Min(drafts || job.PrefillTo > 0 ? count : count - 1, job.ContextLimit);
        _memory.Truncate(job.Slot, job.Slot.CommonPrefix(history, drafts ? count - 1 : until));
        for (int i = job.Slot.Cached.Count; i < until; i++)
        {
            bool tip = drafts && job.Prefix == 0 && i == count - 1;
            AddRow(job, history[i], i, job.Slot.Sequence, tip ? 0 : -1);
            job.Slot.Cached.Add(history[i]);
        }

        if (!drafts)
        {
            return false;
        }

        var path = tree.PathOf(0);
        for (int i = 0; i < job.Prefix; i++)
        {
            AddRow(job, tree.Nodes[path[i]].DraftToken, count + i, job.Slot.Sequence, i == job.Prefix - 1 ? path[i] : -1);
        }

        job.DecodedDepth = job.Prefix;
        return true;
    }

    private void AddRow(DraftStep job, int token, int position, int sequence, int node)
    {
        _sequences.Clear();
        _sequences.Add(sequence);
        AddRows(job, token, position, CollectionsMarshal.AsSpan(_sequences), node);
    }

    private void AddRows(DraftStep job, int token, int position, ReadOnlySpan<int> sequences, int node)
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
        DraftStep? last = null;
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
            if (DraftsText)
            {
                // Text drafting: the draft writes on in its own vocabulary; the tree is filled once the text is done.
                _mapped!.DrawText(job, Session.GetLogits(row));
                job.DecodedDepth = _depth;
            }
            else
            {
                var committed = job.Request.CommittedList;
                int n = committed.Count;
                var logits = _mapped is null ? Session.GetLogits(row) : _mapped.Project(Session.GetLogits(row));
                AppendPath(job.Tree, node, committed);
                DraftDistribution(job, node, logits, CollectionsMarshal.AsSpan(committed), job.Request.GeneratedCount + committed.Count - n);
                committed.RemoveRange(n, committed.Count - n);
                if (_depth > 0)
                {
                    job.DecodedDepth = _depth;
                    ExtendNode(job, node);
                }
            }

            job.Request.Statistics.RecordDraftOverhead(Stopwatch.GetElapsedTime(started));
        }

        _batch.Clear();
        _rows.Clear();
    }

    // q of the node's children; when ranked (temperature 0), a softmax of the adjusted logits used only to rank.
    private static void DraftDistribution(DraftStep job, int nodeIndex, ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount)
    {
        TokenDistribution q = job.Tree.RentChildDistribution(nodeIndex);
        if (job.Ranked)
        {
            job.Request.Processor.Rank(logits, history, generatedCount, q);
        }
        else
        {
            job.Request.Processor.Process(logits, history, generatedCount, q);
        }
    }

    private void ExtendNode(DraftStep job, int nodeIndex)
    {
        var tree = job.Tree;
        var node = tree.Nodes[nodeIndex];
        int count = node.BranchList.Count;
        if (_candidates.Length < count)
        {
            _candidates = new int[count];
        }

        var scheme = job.Ranked ? DraftScheme.TopK : job.Request.Scheme;
        int drawn = CandidateSampler.Sample(scheme, tree.ChildDistributionOf(nodeIndex)!, count, job.Request.Random, _candidates, _scratch);
        if (job.Ranked)
        {
            tree.MarkDeterministic(nodeIndex);
        }

        for (int i = 0; i < drawn; i++)
        {
            int child = tree.Extend(node.BranchList[i], _candidates[i]);
            if (_mapped is not null)
            {
                tree.Nodes[child].DraftToken = _mapped.ToDraft(_candidates[i]);
            }
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
