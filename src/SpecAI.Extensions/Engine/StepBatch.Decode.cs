using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>The target phase of a step: one batch with every request's pending token, draft tree and prompt chunk.</summary>
internal sealed partial class StepBatch
{
    private void DecodeTarget()
    {
        _batch.Clear();
        foreach (var request in _decoding)
        {
            var slot = request.TargetSlot!;
            var tree = request.Tree;
            int n = request.Tokens.Count;
            if (tree.DraftedCount > 0 && Target.Rollback != SequenceRollback.Removal)
            {
                // Recurrent target: the rest of the prompt is decoded first, so the checkpoint (or the snapshots) cover
                // only this step's tokens and a rollback never replays the prompt. Before the fork: one checkpoint serves every branch.
                PrefillAlone(request);
                _target.PrepareRollback(slot, request.StepDraftLength, tree.BranchCount);
            }

            if (tree.BranchCount > 1 && tree.DraftedCount > 0 && _target.Fork(slot, tree.BranchCount) != tree.BranchCount)
            {
                throw new InvalidOperationException($"{tree.BranchCount} draft branches need as many sequences of '{Target.ModelName}'.");
            }

            // The rest of the prompt (if any) belongs to every branch, like the pending token at the root.
            BranchSequences(slot, tree.Nodes[0]);
            var all = CollectionsMarshal.AsSpan(_sequences);
            for (int i = slot.Cached.Count; i < n - 1; i++)
            {
                _batch.Add(request.Tokens[i], i, all, wantLogits: false);
            }

            for (int i = 0; i < tree.Nodes.Count; i++)
            {
                var node = tree.Nodes[i];
                BranchSequences(slot, node);
                node.TargetBatchIndex = _batch.Add(node.Token, n - 1 + node.Depth, CollectionsMarshal.AsSpan(_sequences), wantLogits: true);
            }
        }

        foreach (var (request, end) in _prefilling)
        {
            var slot = request.TargetSlot!;
            for (int i = slot.Cached.Count; i < end; i++)
            {
                _batch.Add(request.Tokens[i], i, slot.Sequence, wantLogits: false);
            }
        }

        if (_batch.Count == 0)
        {
            return;
        }

        long started = _time.GetTimestamp();
        DecodeWithRoom();
        var elapsed = _time.GetElapsedTime(started);
        if (_prefilling.Count == 0)
        {
            _policy.RecordTargetDecode(_batch.Count, elapsed);
        }

        foreach (var request in _decoding)
        {
            request.Statistics.RecordDecode(true, _batch.Count, elapsed, prefill: false);
            var slot = request.TargetSlot!;
            request.Statistics.RecordPrefillTokens(request.TargetPrefix - slot.Cached.Count);
            for (int i = slot.Cached.Count; i < request.TargetPrefix; i++)
            {
                slot.Cached.Add(request.Tokens[i]);
            }
        }

        foreach (var (request, end) in _prefilling)
        {
            var slot = request.TargetSlot!;
            request.Statistics.RecordDecode(true, end - slot.Cached.Count, elapsed, prefill: true);
            request.Statistics.RecordPrefillTokens(end - slot.Cached.Count);
            for (int i = slot.Cached.Count; i < end; i++)
            {
                slot.Cached.Add(request.Tokens[i]);
            }
        }
    }

    /// <summary>Decodes the prompt tokens a request's slot lacks (all but the pending one) in decodes of their own.</summary>
    private void PrefillAlone(GenerationRequest request)
    {
        var slot = request.TargetSlot!;
        int end = request.Tokens.Count - 1;
        var batch = _prefill ??= new DecodeBatch();
        while (slot.Cached.Count < end)
        {
            batch.Clear();
            int start = slot.Cached.Count;
            int stop = Math.Min(end, start + Target.MaxBatchSize);
            for (int i = start; i < stop; i++)
            {
                batch.Add(request.Tokens[i], i, slot.Sequence, wantLogits: false);
            }

            long started = _time.GetTimestamp();
            Target.Decode(batch);
            request.Statistics.RecordDecode(true, batch.Count, _time.GetElapsedTime(started), prefill: true);
            request.Statistics.RecordPrefillTokens(batch.Count);
            for (int i = start; i < stop; i++)
            {
                slot.Cached.Add(request.Tokens[i]);
            }
        }
    }

    /// <summary>Decodes the target batch; when the KV cache is full, frees idle conversations and tries once more.</summary>
    private void DecodeWithRoom()
    {
        try
        {
            Target.Decode(_batch);
        }
        catch (KvCacheFullException) when (_target.IdleCells > 0)
        {
            while (_target.EvictIdle())
            {
            }

            Target.Decode(_batch);
        }
    }
}
