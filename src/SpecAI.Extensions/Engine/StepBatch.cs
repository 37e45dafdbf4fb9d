using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// One engine step over every running request: who decodes and who only prefills, each request's draft
/// plan, one draft-model pass for all, ONE target batch for all, then each request's verification and
/// rollback. The data flow a reader should see: draft -> verify -> commit.
/// </summary>
internal sealed class StepBatch
{
    private readonly ModelMemory _target;
    private readonly ModelDraftSource? _drafter;
    private readonly AdaptiveDraftPolicy _policy;
    private readonly TimeProvider _time;
    private readonly DecodeBatch _batch = new();
    private readonly List<GenerationRequest> _decoding = new();
    private readonly List<(GenerationRequest Request, int End)> _prefilling = new();
    private readonly List<(GenerationRequest Request, DraftStep Step)> _drafting = new();
    private readonly List<int> _nextSource = new();
    private readonly List<DraftStep> _group = new();
    private readonly List<int> _sequences = new();
    private DecodeBatch? _prefill;
    private readonly List<(GenerationRequest Request, int Winner, int PathLength)> _verified = new();

    // Verification runs one request at a time on the engine's thread: one set of vocabulary-sized buffers serves all.
    private TreeVerifier? _trees;

    public StepBatch(ModelMemory target, ModelDraftSource? drafter, AdaptiveDraftPolicy policy, TimeProvider time)
    {
        _target = target;
        _drafter = drafter;
        _policy = policy;
        _time = time;
    }

    public int PrefillChunkSize { get; set; } = 128;

    private IModelSession Target => _target.Session;

    public void Run(IReadOnlyList<GenerationRequest> requests)
    {
        int budget = Classify(requests);
        Plan(budget);
        Draft();
        DecodeTarget();
        VerifyAndCommit();
    }

    /// <summary>Requests whose prompt is in KV (but for what fits this batch) decode; the others prefill a chunk. Returns the rows left for draft trees.</summary>
    private int Classify(IReadOnlyList<GenerationRequest> requests)
    {
        _decoding.Clear();
        _prefilling.Clear();
        int budget = Target.MaxBatchSize;
        int chunkLimit = requests.Count > 1 ? PrefillChunkSize : budget;
        var waiting = new List<GenerationRequest>();
        foreach (var request in requests)
        {
            int missing = request.TargetPrefix - request.TargetSlot!.Cached.Count;
            if (missing + 1 <= Math.Min(chunkLimit + 1, budget))
            {
                _decoding.Add(request);
                budget -= missing + 1;
            }
            else
            {
                waiting.Add(request);
            }
        }

        foreach (var request in waiting)
        {
            int start = request.TargetSlot!.Cached.Count;
            int chunk = Math.Min(request.TargetPrefix - start, Math.Min(chunkLimit, budget));
            if (chunk > 0)
            {
                _prefilling.Add((request, start + chunk));
                budget -= chunk;
            }
        }

        return budget;
    }

    /// <summary>
    /// Draft length and count per decoding request: its own settings, or for adaptive requests the policy's
    /// choice — per request when it runs alone, one plan maximising the whole batch's tokens/s under load.
    /// </summary>
    private void Plan(int budget)
    {
        int speculating = 0, maxLength = 0, maxCount = 1, otherRows = 0;
        foreach (var request in _decoding)
        {
            // Only adaptive requests follow the load; the others draft as configured, so a seed fixes their answer.
            if (request.HasDrafter && request.Settings.DraftLength > 0 && request.Settings.Adaptive)
            {
                speculating++;
                maxLength = Math.Max(maxLength, request.Settings.DraftLength);
                maxCount = Math.Max(maxCount, request.MaxBranchCount);
            }
            else
            {
                otherRows += 1 + (request.HasDrafter ? request.MaxBranchCount * request.Settings.DraftLength : 0);
            }
        }

        foreach (var (request, end) in _prefilling)
        {
            otherRows += end - request.TargetSlot!.Cached.Count;
        }

        bool alone = _decoding.Count == 1 && _prefilling.Count == 0;
        DraftPlan? shared = speculating > 0 && !alone ? _policy.ChooseShared(maxLength, maxCount, speculating, otherRows) : null;
        int targetSpare = _target.AvailableSequences;
        int draftSpare = _drafter?.Memory.AvailableSequences ?? 0;
        foreach (var request in _decoding)
        {
            var settings = request.Settings;
            int n = request.Tokens.Count;
            var plan = new DraftPlan(0, 1, IsProbe: false);
            bool adaptive = false;
            if (request.HasDrafter)
            {
                adaptive = settings.Adaptive;
                plan = shared is { } s && adaptive
                    ? new DraftPlan(Math.Min(s.Length, settings.DraftLength), Math.Min(s.Count, request.MaxBranchCount), s.IsProbe)
                    : settings.Adaptive ? _policy.Choose(settings.DraftLength, request.MaxBranchCount) : new DraftPlan(settings.DraftLength, request.MaxBranchCount, IsProbe: false);
            }

            int count = Math.Max(1, Math.Min(plan.Count, 1 + targetSpare));
            if (request.UsesDraftModel)
            {
                // Text drafting proposes one deterministic branch.
                count = _drafter!.DraftsText ? 1 : Math.Min(count, 1 + draftSpare);
            }

            int length = Math.Min(plan.Length, settings.MaxTokens - request.Generated - 1);
            length = Math.Min(length, (request.ContextLimit - n) / count);
            length = Math.Min(length, budget / count);
            if (request.UsesDraftModel)
            {
                length = Math.Min(length, (_drafter!.Session.ContextSize - n) / count);
            }

            if (length <= 0)
            {
                (length, count) = (0, 1);
            }

            if (length > 0)
            {
                budget -= count * length;
                targetSpare -= count - 1;
                draftSpare -= request.UsesDraftModel ? count - 1 : 0;
            }

            request.StepDraftLength = length;
            request.Plan = plan;
            request.Tree.Reset(request.Tokens[n - 1], count, request.VocabularySize);
            if (request.HasDrafter)
            {
                request.Statistics.RecordDraftPlan(length, count, speculationOff: adaptive && plan.Length == 0);
            }
        }
    }

    /// <summary>
    /// Every request's sources draft in its order on its tree; a source several requests share (the draft model) drafts
    /// for all of them in one pass, once each of them has reached it.
    /// </summary>
    private void Draft()
    {
        _drafting.Clear();
        int maxLength = 0, rows = 0;
        bool modelDrafts = false, prefill = false;
        foreach (var request in _decoding)
        {
            request.DraftStep = null;
            if (!request.HasDrafter)
            {
                continue;
            }

            int length = request.StepDraftLength;
            var draftRequest = new DraftRequest(request.Tokens, request.Generated, request.Verifier.Scheme, request.Processor, request.Random, request.Statistics);
            request.DraftStep = new DraftStep(draftRequest, request.Tree, request.DraftSlot, length) { Bridge = request.DraftBridge, ContextLimit = request.DraftContextLimit };
            _drafting.Add((request, request.DraftStep));
            if (length > 0)
            {
                modelDrafts |= request.UsesDraftModel;
                maxLength = Math.Max(maxLength, length);
                rows += request.Tree.BranchCount;
            }
        }

        foreach (var (request, end) in _prefilling)
        {
            if (request.HasDrafter)
            {
                var draftRequest = new DraftRequest(request.Tokens, request.Generated, request.Verifier.Scheme, request.Processor, request.Random, request.Statistics);
                _drafting.Add((request, new DraftStep(draftRequest, request.Tree, request.DraftSlot, 0) { PrefillTo = end, Bridge = request.DraftBridge, ContextLimit = request.DraftContextLimit }));
                prefill |= request.UsesDraftModel;
            }
        }

        if (_drafting.Count == 0)
        {
            return;
        }

        long started = _time.GetTimestamp();
        _nextSource.Clear();
        for (int i = 0; i < _drafting.Count; i++)
        {
            _nextSource.Add(0);
        }

        while (NextReadySource() is { } source)
        {
            _group.Clear();
            for (int i = 0; i < _drafting.Count; i++)
            {
                var sources = _drafting[i].Request.DraftSources;
                if (_nextSource[i] < sources.Count && ReferenceEquals(sources[_nextSource[i]], source))
                {
                    _group.Add(_drafting[i].Step);
                    _nextSource[i]++;
                }
            }

            source.DraftBatch(_group);
        }

        // The policy learns the draft model's cost per depth (a prompt chunk in the pass would blur it).
        if (maxLength > 0 && modelDrafts && !prefill)
        {
            _policy.RecordDraft(maxLength, rows, _time.GetElapsedTime(started));
        }
    }

    /// <summary>A source that is next for some request and not waiting further down another's list; null when all have drafted.</summary>
    private IDraftSource? NextReadySource()
    {
        bool pending = false;
        for (int i = 0; i < _drafting.Count; i++)
        {
            var sources = _drafting[i].Request.DraftSources;
            if (_nextSource[i] >= sources.Count)
            {
                continue;
            }

            pending = true;
            var candidate = sources[_nextSource[i]];
            bool ready = true;
            for (int j = 0; j < _drafting.Count && ready; j++)
            {
                var others = _drafting[j].Request.DraftSources;
                for (int k = _nextSource[j] + 1; k < others.Count; k++)
                {
                    ready &= !ReferenceEquals(others[k], candidate);
                }
            }

            if (ready)
            {
                return candidate;
            }
        }

        return pending ? throw new InvalidOperationException("Draft sources shared by several requests are listed in conflicting orders.") : null;
    }

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

    private void VerifyAndCommit()
    {
        var trees = _trees ??= new TreeVerifier(Target.VocabularySize);
        _verified.Clear();
        try
        {
            foreach (var request in _decoding)
            {
                try
                {
                    var (winner, pathLength) = request.Verify(Target, request.HasDrafter ? _policy : null, request.Tree.BranchCount, trees);
                    _verified.Add((request, winner, pathLength));
                }
                catch (Exception ex) when (ex is not KvCacheFullException)
                {
                    Fail(request, ex);
                }
            }

            // Commits only once every request has read its logits: a checkpoint replay decodes, and a decode replaces them.
            foreach (var (request, winner, pathLength) in _verified)
            {
                try
                {
                    Commit(request, winner, pathLength);
                }
                catch (Exception ex) when (ex is not KvCacheFullException)
                {
                    Fail(request, ex);
                }
            }
        }
        finally
        {
            foreach (var request in _decoding)
            {
                request.Tree.Release();
                request.DraftStep = null;
            }
        }
    }

    private void Commit(GenerationRequest request, int winner, int pathLength)
    {
        var tokens = CollectionsMarshal.AsSpan(request.Tokens);
        var slot = request.TargetSlot!;
        _target.Commit(slot, winner, tokens.Length - 1, tokens, drafted: request.Tree.DraftedCount > 0, request.Statistics);
        var rollback = slot.RollbackTime;
        slot.RollbackTime = TimeSpan.Zero;
        if (request.DraftStep is { } step)
        {
            // Every source hears every commit, whichever of them drafted.
            foreach (var source in request.DraftSources)
            {
                source.Commit(step, winner, pathLength, tokens);
            }
        }

        if (request.DraftSlot is { } draftSlot)
        {
            rollback += draftSlot.RollbackTime;
            draftSlot.RollbackTime = TimeSpan.Zero;
        }

        if (request.StepDraftLength > 0 && request.HasDrafter)
        {
            // Checkpoint, restore and replay on recurrent models are part of a speculative step's cost.
            _policy.RecordRollback(rollback);
        }
    }

    /// <summary>This request's own rule or data failed: only its sequences are in doubt.</summary>
    private void Fail(GenerationRequest request, Exception ex)
    {
        request.Fail(ex);
        _target.Clear(request.TargetSlot!);
        if (request.DraftSlot is { } draftSlot)
        {
            _drafter!.Memory.Clear(draftSlot);
        }
    }

    private void BranchSequences(SequenceSlot slot, DraftNode node)
    {
        _sequences.Clear();
        if (slot.Branches.Count == 0)
        {
            _sequences.Add(slot.Sequence);
            return;
        }

        foreach (int b in node.BranchList)
        {
            _sequences.Add(slot.Branches[b]);
        }
    }
}
