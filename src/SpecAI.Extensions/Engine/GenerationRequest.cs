using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// Everything one generation owns: its tokens, sampler, random source, verifier, draft tree, statistics and
/// its slots in the target's and the draft model's KV caches. The engine keeps only what requests share.
/// </summary>
/// <remarks>
/// The target's KV holds every committed token but the last one (the pending token), which each step decodes
/// together with the draft tree's nodes. Touched only by the thread that runs the engine's steps.
/// </remarks>
internal sealed class GenerationRequest
{
    private readonly List<int> _candidates = new();
    private readonly List<int> _candidateNodes = new();
    private readonly Queue<int> _emitted = new();

    public GenerationRequest(IReadOnlyList<int> prompt, GenerationSettings settings, SpeculationStatistics statistics, ISpeculativeVerifier verifier, int contextLimit, int vocabularySize)
    {
        Settings = settings;
        Statistics = statistics;
        Verifier = verifier;
        PromptLength = prompt.Count;

        // Allocation follows the context, not MaxTokens (which may be int.MaxValue).
        ContextLimit = (int)Math.Min(contextLimit, (long)prompt.Count + settings.MaxTokens + 1);
        DraftContextLimit = ContextLimit;
        Tokens = new List<int>(ContextLimit);
        Tokens.AddRange(prompt);
        VocabularySize = vocabularySize;
        Processor = new LogitProcessor(settings.Sampling, settings.Constraint);
        Random = settings.RandomSource ?? new SeededRandomSource(settings.Seed ?? System.Random.Shared.NextInt64());
        MaxBranchCount = settings.Mode == SpeculationMode.MultiDraft ? settings.DraftCount : 1;
        MeasuresBound = settings.MeasuresOptimalAcceptance && verifier.IsLossless && !settings.Sampling.IsGreedy && verifier.Scheme != DraftScheme.TopK;
        IsFinished = settings.MaxTokens == 0;
    }

    public GenerationSettings Settings { get; }

    public SpeculationStatistics Statistics { get; }

    public ISpeculativeVerifier Verifier { get; }

    public LogitProcessor Processor { get; }

    public IRandomSource Random { get; }

    /// <summary>Committed tokens: the prompt, then the answer.</summary>
    public List<int> Tokens { get; }

    public int PromptLength { get; }

    public int Generated { get; private set; }

    /// <summary>Most tokens (prompt and answer) this request may hold: its share of the context.</summary>
    public int ContextLimit { get; }

    /// <summary>
    /// Most tokens the request may hold in the draft model's KV cache: its context share, with room for a draft
    /// tokenizer that writes the same text in more tokens when the vocabularies differ.
    /// </summary>
    public int DraftContextLimit { get; set; }

    public int VocabularySize { get; }

    /// <summary>Draft source other than the draft model (prompt lookup, prediction, custom); null when none.</summary>
    public IDraftSource? Drafter { get; set; }

    /// <summary>Whether the draft model drafts for this request (after <see cref="Drafter"/>, if any).</summary>
    public bool UsesDraftModel { get; set; }

    public bool HasDrafter => Drafter is not null || UsesDraftModel;

    public int MaxBranchCount { get; }

    public bool MeasuresBound { get; }

    public SequenceSlot? TargetSlot { get; set; }

    public SequenceSlot? DraftSlot { get; set; }

    /// <summary>The committed tokens as the draft model's tokens, when its vocabulary differs from the target's; null otherwise.</summary>
    public Vocabulary.DraftTokenBridge? DraftBridge { get; set; }

    public DraftTree Tree { get; } = new();

    /// <summary>The plan of the current step.</summary>
    public DraftPlan Plan { get; set; }

    /// <summary>Draft length of the current step after clamping (0: nothing drafted).</summary>
    public int StepDraftLength { get; set; }

    /// <summary>Whether the current step decodes (pending token and drafts) rather than only prefilling.</summary>
    public bool StepDecodes { get; set; }

    public bool IsFinished { get; private set; }

    /// <summary>Number of committed tokens before the pending one: what the target's main sequence must hold.</summary>
    public int TargetPrefix => Tokens.Count - 1;

    /// <summary>Tokens committed but not yet handed to the caller.</summary>
    public int EmittedCount => _emitted.Count;

    public bool TryTakeEmitted(out int token) => _emitted.TryDequeue(out token);

    /// <summary>The error that ended the request during a step (its own verification failed); null otherwise.</summary>
    public Exception? Error { get; private set; }

    /// <summary>The job of the current step in the draft model's batched pass; null when the model does not draft this step.</summary>
    public Drafting.DraftJob? DraftJob { get; set; }

    public void Finish() => IsFinished = true;

    public void Fail(Exception error)
    {
        Error = error;
        IsFinished = true;
    }

    /// <summary>The candidates drafted below a node and the nodes they lead to.</summary>
    private void CollectCandidates(int nodeIndex)
    {
        _candidates.Clear();
        _candidateNodes.Clear();
        var node = Tree.Nodes[nodeIndex];
        foreach (int b in node.BranchList)
        {
            var path = Tree.PathOf(b);
            if (path.Count > node.Depth)
            {
                _candidates.Add(Tree.Nodes[path[node.Depth]].Token);
                _candidateNodes.Add(path[node.Depth]);
            }
        }
    }

    /// <summary>
    /// Walks the draft tree from the root over the target's logits of this step's batch, committing one
    /// token per node until a node's drafts are all rejected. Returns the winning branch and how many
    /// committed tokens lie on its path. <paramref name="p"/> and <paramref name="nodeVerifier"/> are the engine's
    /// vocabulary-sized work buffers, shared by the requests it verifies one after another.
    /// </summary>
    public (int Winner, int PathLength) Verify(IModelSession target, AdaptiveDraftPolicy? policy, int branchCount, TokenDistribution p, NodeVerifier nodeVerifier)
    {
        long verifyStart = Stopwatch.GetTimestamp();
        var judge = Verifier as JudgeVerifier;
        judge?.BeginStep();
        int nodeIndex = 0, winner = 0, pathLength = 0, accepted = 0, committed = 0;
        while (true)
        {
            var node = Tree.Nodes[nodeIndex];
            Processor.Process(target.GetLogits(node.TargetBatchIndex), CollectionsMarshal.AsSpan(Tokens), Generated, p);
            CollectCandidates(nodeIndex);
            var draft = Tree.ChildDistributionOf(nodeIndex);
            var candidates = CollectionsMarshal.AsSpan(_candidates);
            if (MeasuresBound && !candidates.IsEmpty && draft is not null)
            {
                // A diagnostic, not verification: its time is taken out of the verify timer.
                long diagnosticStart = Stopwatch.GetTimestamp();
                var (optimal, achieved) = nodeVerifier.MeasureAcceptance(Verifier, p, draft, candidates);
                Statistics.RecordAcceptanceBound(optimal, achieved);
                verifyStart += Stopwatch.GetTimestamp() - diagnosticStart;
            }

            var result = nodeVerifier.Verify(Verifier, p, draft, candidates, Random, JudgeScores(target, candidates.Length));
            if (Verifier is LanternVerifier { LastDistance: var distance } && !double.IsNaN(distance))
            {
                Statistics.RecordRelaxation(distance);
            }
            Commit(result.Token);
            committed++;
            if (result.IsAccepted)
            {
                accepted++;
            }

            int child = ChildOnPath(result.Token);
            if (!candidates.IsEmpty)
            {
                Statistics.RecordDepth(node.Depth + 1, child >= 0);
                policy?.RecordDepth(node.Depth + 1, branchCount, child >= 0);
            }

            if (child < 0)
            {
                break;
            }

            nodeIndex = child;
            winner = Tree.Nodes[child].BranchList[0];
            pathLength++;
            if (IsFinished)
            {
                break;
            }
        }

        Statistics.RecordStep(Tree.DraftedCount, accepted, committed, !Verifier.IsLossless && Tree.DraftedCount > 0, Stopwatch.GetElapsedTime(verifyStart));
        Statistics.RecordJudgeAcceptedTokens(judge?.JudgedInStep ?? 0);
        return (winner, pathLength);
    }

    /// <summary>Returns the draft tree's vocabulary-sized buffers (the request is done).</summary>
    public void ReleaseBuffers() => Tree.Release();

    private void Commit(int token)
    {
        Tokens.Add(token);
        _emitted.Enqueue(token);
        Generated++;
        if (Settings.StopTokens.Contains(token) || Generated >= Settings.MaxTokens || Tokens.Count >= ContextLimit)
        {
            IsFinished = true;
        }
    }

    /// <summary>The judge's score of each candidate, from the target's hidden state at that draft token in this step's batch.</summary>
    private double[]? JudgeScores(IModelSession target, int candidateCount)
    {
        if (Settings.Judge is not { } judge || candidateCount == 0)
        {
            return null;
        }

        var scores = new double[candidateCount];
        for (int i = 0; i < candidateCount; i++)
        {
            scores[i] = judge.Score(target.GetHiddenState(Tree.Nodes[_candidateNodes[i]].TargetBatchIndex));
        }

        return scores;
    }

    private int ChildOnPath(int token)
    {
        int i = _candidates.IndexOf(token);
        return i < 0 ? -1 : _candidateNodes[i];
    }
}
