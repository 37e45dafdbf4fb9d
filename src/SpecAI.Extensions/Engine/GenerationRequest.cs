using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// One generation's progress: its committed tokens, statistics, KV slots, the step's draft tree and plan, and whether
/// and why it ended. What the generation is (verifier, draft sources, limits, stop rules, constraint, random source)
/// is its <see cref="ResolvedRequest"/>, fixed before it starts.
/// </summary>
/// <remarks>
/// The one writer of its state: the engine and the step say what happens (<see cref="Admit"/>, <see cref="PlanStep"/>,
/// <see cref="BeginDrafting"/>, <see cref="Verify"/>, <see cref="EndStep"/>, <see cref="ReleaseSlots"/>, <see cref="Fail"/>)
/// and it records it. The target's KV holds every committed token but the last one (the pending token), which each
/// step decodes together with the draft tree's nodes. Touched only by the thread that runs the engine's steps.
/// </remarks>
internal sealed class GenerationRequest : ITreeTarget
{
    private readonly Queue<int> _emitted = new();
    private readonly StopSequenceMatcher? _stopText;
    private IModelSession? _target;

    public GenerationRequest(ResolvedRequest resolved, SpeculationStatistics statistics)
    {
        Resolved = resolved;
        Statistics = statistics;
        Tokens = new List<int>(resolved.ContextLimit);
        Tokens.AddRange(resolved.Prompt);
        Processor = new LogitProcessor(resolved.Sampling, resolved.Constraint);
        IsFinished = resolved.MaxTokens == 0;
        _stopText = resolved.TextDecoder is { } decoder ? new StopSequenceMatcher(decoder(), resolved.StopSequences) : null;
    }

    /// <summary>What this generation is: verifier, draft sources, limits, stop rules, constraint, random source.</summary>
    public ResolvedRequest Resolved { get; }

    public SpeculationStatistics Statistics { get; }

    public ISpeculativeVerifier Verifier => Resolved.Verifier;

    public LogitProcessor Processor { get; }

    public IRandomSource Random => Resolved.Random;

    /// <summary>Committed tokens: the prompt, then the answer.</summary>
    public List<int> Tokens { get; }

    public int PromptLength => Resolved.Prompt.Count;

    public int Generated { get; private set; }

    /// <summary>Most tokens (prompt and answer) this request may hold: its share of the context.</summary>
    public int ContextLimit => Resolved.ContextLimit;

    /// <summary>Most tokens the request may hold in the draft model's KV cache (see <see cref="ResolvedRequest.DraftContextLimit"/>).</summary>
    public int DraftContextLimit => Resolved.DraftContextLimit;

    /// <summary>The request's draft sources in drafting order; each drafts on the same tree and hears every commit.</summary>
    public IReadOnlyList<IDraftSource> DraftSources => Resolved.DraftSources;

    /// <summary>Whether the request holds sequences in the draft model's KV cache.</summary>
    public bool UsesDraftModel => Resolved.UsesDraftModel;

    public bool HasDrafter => Resolved.DraftSources.Count > 0;

    public int MaxBranchCount => Resolved.MaxBranchCount;

    public SequenceSlot? TargetSlot { get; private set; }

    public SequenceSlot? DraftSlot { get; private set; }

    /// <summary>The committed tokens as the draft model's tokens, when its vocabulary differs from the target's; null otherwise.</summary>
    public Vocabulary.DraftTokenBridge? DraftBridge { get; private set; }

    public DraftTree Tree { get; } = new();

    /// <summary>Draft length of the current step after clamping (0: nothing drafted).</summary>
    public int StepDraftLength { get; private set; }

    public bool IsFinished { get; private set; }

    /// <summary>Number of committed tokens before the pending one: what the target's main sequence must hold.</summary>
    public int TargetPrefix => Tokens.Count - 1;

    /// <summary>Tokens committed but not yet handed to the caller.</summary>
    public int EmittedCount => _emitted.Count;

    public bool TryTakeEmitted(out int token) => _emitted.TryDequeue(out token);

    /// <summary>The error that ended the request during a step (its own verification failed); null otherwise.</summary>
    public Exception? Error { get; private set; }

    /// <summary>The request's share of the current step's drafting; null when it has no draft source or only prefills.</summary>
    public DraftStep? DraftStep { get; private set; }

    /// <summary>The request was admitted: its sequences in the target's (and the draft model's) KV cache.</summary>
    public void Admit(SequenceSlot target, SequenceSlot? draft, Vocabulary.DraftTokenBridge? bridge)
    {
        TargetSlot = target;
        DraftSlot = draft;
        DraftBridge = bridge;
    }

    /// <summary>Hands the request's KV slots back (to be released by the engine's memories); null where it held none.</summary>
    public (SequenceSlot? Target, SequenceSlot? Draft) ReleaseSlots()
    {
        var slots = (TargetSlot, DraftSlot);
        (TargetSlot, DraftSlot) = (null, null);
        Tree.Release();
        return slots;
    }

    /// <summary>This step drafts <paramref name="length"/> tokens in each of <paramref name="count"/> branches (length 0: none) below the pending token.</summary>
    public void PlanStep(int length, int count)
    {
        StepDraftLength = length;
        DraftStep = null;
        Tree.Reset(Tokens[^1], count, Resolved.VocabularySize);
    }

    public int VocabularySize => Resolved.VocabularySize;

    /// <summary>Starts this step's drafting: the request's sources draft on its tree (to <paramref name="prefillTo"/> when it only prefills).</summary>
    public DraftStep BeginDrafting(int? prefillTo = null)
    {
        var draftRequest = new DraftRequest(Tokens, Generated, Verifier.Scheme, Processor, Random, Statistics);
        var step = prefillTo is { } end
            ? new DraftStep(draftRequest, Tree, DraftSlot, 0) { PrefillTo = end, Bridge = DraftBridge, ContextLimit = DraftContextLimit }
            : new DraftStep(draftRequest, Tree, DraftSlot, StepDraftLength) { Bridge = DraftBridge, ContextLimit = DraftContextLimit };
        if (prefillTo is null)
        {
            DraftStep = step;
        }

        return step;
    }

    /// <summary>The step is over (verified and committed, or failed): its tree's buffers go back, its drafting is forgotten.</summary>
    public void EndStep()
    {
        Tree.Release();
        DraftStep = null;
    }

    public void Fail(Exception error)
    {
        Error = error;
        IsFinished = true;
    }

    /// <summary>
    /// Verifies this step's draft tree over the target's logits of this step's batch (see <see cref="TreeVerifier"/>)
    /// and applies the result: commits its tokens under the stop rules and records the statistics. Returns the winning
    /// branch and how many committed tokens lie on its path. <paramref name="trees"/> is the engine's, shared by the
    /// requests it verifies one after another.
    /// </summary>
    public (int Winner, int PathLength) Verify(IModelSession target, AdaptiveDraftPolicy? policy, int branchCount, TreeVerifier trees)
    {
        long verifyStart = Stopwatch.GetTimestamp();
        _target = target;
        TreeVerification result;
        try
        {
            int budget = Math.Min(Resolved.MaxTokens - Generated, ContextLimit - Tokens.Count);
            result = trees.Verify(Tree, this, Verifier, Random, budget, Resolved.StopTokens, Resolved.MeasuresBound);
        }
        finally
        {
            _target = null;
        }

        foreach (int token in result.Tokens)
        {
            Commit(token);
            if (IsFinished)
            {
                // A text stop sequence may end the answer inside the walk: nothing after it is committed.
                break;
            }
        }

        foreach (var (optimal, achieved) in result.Bounds)
        {
            Statistics.RecordAcceptanceBound(optimal, achieved);
        }

        foreach (double distance in result.Relaxations)
        {
            Statistics.RecordRelaxation(distance);
        }

        foreach (var (depth, continued) in result.Depths)
        {
            Statistics.RecordDepth(depth, continued);
            policy?.RecordDepth(depth, branchCount, continued);
        }

        // The diagnostic is not verification: its time is taken out of the verify timer.
        var verifyTime = Stopwatch.GetElapsedTime(verifyStart) - result.DiagnosticTime;
        Statistics.RecordStep(Tree.DraftedCount, result.Accepted, result.Tokens.Count, !Verifier.IsLossless && Tree.DraftedCount > 0, verifyTime);
        Statistics.RecordJudgeAcceptedTokens(result.LossyAccepted);
        return (result.Winner, result.PathLength);
    }

    /// <inheritdoc />
    void ITreeTarget.Distribution(int node, ReadOnlySpan<int> committed, TokenDistribution p)
    {
        // The tokens committed earlier in the walk precede the node: the penalties and the constraint read them.
        int mark = Tokens.Count;
        foreach (int token in committed)
        {
            Tokens.Add(token);
        }

        try
        {
            Processor.Process(_target!.GetLogits(Tree.Nodes[node].TargetBatchIndex), CollectionsMarshal.AsSpan(Tokens), Generated + committed.Length, p);
        }
        finally
        {
            Tokens.RemoveRange(mark, committed.Length);
        }
    }

    /// <summary>The judge's score of each candidate, from the target's hidden state at that draft token in this step's batch.</summary>
    double[]? ITreeTarget.JudgeScores(ReadOnlySpan<int> candidateNodes)
    {
        if (Resolved.Judge is not { } judge || candidateNodes.IsEmpty)
        {
            return null;
        }

        var scores = new double[candidateNodes.Length];
        for (int i = 0; i < candidateNodes.Length; i++)
        {
            scores[i] = judge.Score(_target!.GetHiddenState(Tree.Nodes[candidateNodes[i]].TargetBatchIndex));
        }

        return scores;
    }

    /// <summary>Commits one token and decides here, and only here, whether the generation ends (and why).</summary>
    private void Commit(int token)
    {
        Tokens.Add(token);
        _emitted.Enqueue(token);
        Generated++;
        var reason = Resolved.StopTokens.Contains(token) ? GenerationStopReason.EndOfGeneration
            : _stopText?.Add(token) == true ? GenerationStopReason.StopSequence
            : Generated >= Resolved.MaxTokens ? GenerationStopReason.MaxTokens
            : Tokens.Count >= ContextLimit ? GenerationStopReason.ContextFull
            : GenerationStopReason.None;
        if (reason != GenerationStopReason.None)
        {
            IsFinished = true;
            Statistics.RecordStop(reason, Generated);
        }
    }
}
