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
internal sealed partial class StepBatch
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
            if (request.HasDrafter && request.Resolved.DraftLength > 0 && request.Resolved.Adaptive)
            {
                speculating++;
                maxLength = Math.Max(maxLength, request.Resolved.DraftLength);
                maxCount = Math.Max(maxCount, request.MaxBranchCount);
            }
            else
            {
                otherRows += 1 + (request.HasDrafter ? request.MaxBranchCount * request.Resolved.DraftLength : 0);
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
            var resolved = request.Resolved;
            int n = request.Tokens.Count;
            var plan = new DraftPlan(0, 1, IsProbe: false);
            bool adaptive = false;
            if (request.HasDrafter)
            {
                adaptive = resolved.Adaptive;
                plan = shared is { } s && adaptive
                    ? new DraftPlan(Math.Min(s.Length, resolved.DraftLength), Math.Min(s.Count, request.MaxBranchCount), s.IsProbe)
                    : resolved.Adaptive ? _policy.Choose(resolved.DraftLength, request.MaxBranchCount) : new DraftPlan(resolved.DraftLength, request.MaxBranchCount, IsProbe: false);
            }

            int count = Math.Max(1, Math.Min(plan.Count, 1 + targetSpare));
            if (request.UsesDraftModel)
            {
                // Text drafting proposes one deterministic branch.
                count = _drafter!.DraftsText ? 1 : Math.Min(count, 1 + draftSpare);
            }

            int length = Math.Min(plan.Length, resolved.MaxTokens - request.Generated - 1);
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

            request.PlanStep(length, count);
            if (request.HasDrafter)
            {
                request.Statistics.RecordDraftPlan(length, count, speculationOff: adaptive && plan.Length == 0);
            }
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
                request.EndStep();
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
