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
internal sealed class GenerationRequest : ITreeTarget
{
    private readonly Queue<int> _emitted = new();
    private IModelSession? _target;

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
        _stopText = settings.TextDecoder is { } decoder && settings.StopSequences.Any(s => !string.IsNullOrEmpty(s))
            ? new StopSequenceMatcher(decoder(), settings.StopSequences)
            : null;
    }

    private readonly StopSequenceMatcher? _stopText;

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

    /// <summary>
    /// The request's draft sources in drafting order (a custom source, prompt lookup or the prediction first, then the
    /// draft model where the mode uses one); each drafts on the same tree and hears every commit.
    /// </summary>
    public List<IDraftSource> DraftSources { get; } = new();

    /// <summary>Whether the request holds sequences in the draft model's KV cache (the engine's <see cref="ModelDraftSource"/> is one of its sources).</summary>
    public bool UsesDraftModel { get; set; }

    public bool HasDrafter => DraftSources.Count > 0;

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

    /// <summary>The request's share of the current step's drafting; null when it has no draft source or only prefills.</summary>
    public DraftStep? DraftStep { get; set; }

    public void Finish() => IsFinished = true;

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
            int budget = Math.Min(Settings.MaxTokens - Generated, ContextLimit - Tokens.Count);
            result = trees.Verify(Tree, this, Verifier, Random, budget, Settings.StopTokens, MeasuresBound);
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
        if (Settings.Judge is not { } judge || candidateNodes.IsEmpty)
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

    /// <summary>Returns the draft tree's vocabulary-sized buffers (the request is done).</summary>
    public void ReleaseBuffers() => Tree.Release();

    /// <summary>Commits one token and decides here, and only here, whether the generation ends (and why).</summary>
    private void Commit(int token)
    {
        Tokens.Add(token);
        _emitted.Enqueue(token);
        Generated++;
        var reason = Settings.StopTokens.Contains(token) ? GenerationStopReason.EndOfGeneration
            : _stopText?.Add(token) == true ? GenerationStopReason.StopSequence
            : Generated >= Settings.MaxTokens ? GenerationStopReason.MaxTokens
            : Tokens.Count >= ContextLimit ? GenerationStopReason.ContextFull
            : GenerationStopReason.None;
        if (reason != GenerationStopReason.None)
        {
            IsFinished = true;
            Statistics.RecordStop(reason, Generated);
        }
    }
}
