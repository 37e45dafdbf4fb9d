using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// The speculative decoding loop: draft -> one target batch -> verify -> commit -> roll back KV.
/// </summary>
/// <remarks>
/// The target's KV cache holds every committed token but the last one (the "pending" token). Each step
/// decodes, in ONE target batch, the pending token followed by every node of the draft tree, each node
/// tagged with the sequence ids of the branches that run through it. The verifier then walks the tree
/// from the root; the branch it followed becomes the main sequence and every other branch is dropped
/// with whole-sequence removals. One generation at a time per engine: the sessions are not shared.
/// </remarks>
public sealed class SpeculativeEngine
{
    private readonly SessionCache _target;
    private readonly IDraftSource? _draftModel;
    private readonly DecodeBatch _batch = new();
    private readonly DraftTree _tree = new();
    private readonly List<int> _sequences = new();
    private readonly List<int> _candidates = new();
    private readonly List<int> _candidateNodes = new();
    private readonly TimeProvider _time;

    /// <summary>Creates an engine over a target session and an optional draft source.</summary>
    /// <param name="target">The target model.</param>
    /// <param name="draftModel">Drafts for <see cref="SpeculationMode.DraftModel"/> and <see cref="SpeculationMode.MultiDraft"/> (and, combined with prompt lookup, for <see cref="SpeculationMode.PromptLookup"/>); null when there is no draft model.</param>
    /// <param name="timeProvider">Clock for the cost measurements of adaptive drafting; the system clock when null.</param>
    public SpeculativeEngine(IModelSession target, IDraftSource? draftModel = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = new SessionCache(target);
        _draftModel = draftModel;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// The adaptive drafting policy, shared by the generations of this engine (costs and acceptance are
    /// properties of the models and the hardware); used when <see cref="GenerationSettings.Adaptive"/> is set.
    /// </summary>
    public AdaptiveDraftPolicy AdaptivePolicy { get; } = new();

    /// <summary>The target model's session.</summary>
    public IModelSession Target => _target.Session;

    /// <summary>Whether a draft model is available.</summary>
    public bool HasDraftModel => _draftModel is not null;

    /// <summary>How many leading tokens of the last conversation the target's KV cache still holds.</summary>
    public int CachedTokenCount => _target.CachedCount;

    /// <summary>
    /// Generates tokens after <paramref name="prompt"/>, yielding each as soon as it is committed. Stop
    /// enumerating at any time; the engine then keeps its KV cache consistent for the next call.
    /// </summary>
    /// <param name="prompt">Prompt tokens (at least one).</param>
    /// <param name="settings">Sampling, speculation and stopping settings.</param>
    /// <param name="statistics">Receives this generation's counters.</param>
    /// <param name="cancellationToken">Cancels between steps (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The generated tokens.</returns>
    /// <exception cref="ArgumentException">The prompt is empty or does not fit the context.</exception>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, GenerationSettings settings, SpeculationStatistics statistics, CancellationToken cancellationToken = default)
        => Generate(prompt, settings, statistics, verifier: null, cancellationToken);

    /// <summary>As the public overload, with a verifier instance instead of <see cref="GenerationSettings.Verifier"/> (tests pair rules with wrong schemes).</summary>
    internal IEnumerable<int> Generate(IReadOnlyList<int> prompt, GenerationSettings settings, SpeculationStatistics statistics, ISpeculativeVerifier? verifier, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(statistics);
        settings.Validate();
        if (prompt.Count == 0)
        {
            throw new ArgumentException("The prompt must contain at least one token.", nameof(prompt));
        }

        if (prompt.Count >= Target.ContextSize)
        {
            throw new ArgumentException($"The prompt has {prompt.Count} tokens but the context of '{Target.ModelName}' holds {Target.ContextSize}; shorten the conversation or raise the context size.", nameof(prompt));
        }

        if (settings.Mode is SpeculationMode.DraftModel or SpeculationMode.MultiDraft && _draftModel is null)
        {
            throw new InvalidOperationException($"Speculation mode {settings.Mode} needs a draft model, and none was configured.");
        }

        if (settings.Mode == SpeculationMode.Judge)
        {
            if (settings.Judge is null || _draftModel is null)
            {
                throw new InvalidOperationException("Judge decoding needs a draft model and a judge head (GenerationSettings.Judge).");
            }

            if (!Target.ProvidesHiddenStates)
            {
                throw new InvalidOperationException($"Judge decoding reads the target's hidden states, and '{Target.ModelName}' was loaded without them.");
            }

            verifier ??= new JudgeVerifier(settings.Judge.Threshold);
        }

        return Run(prompt, settings, statistics, verifier ?? VerifierFactory.Create(settings.Verifier, settings.Sampling), cancellationToken);
    }

    /// <summary>Forgets the cached conversation (KV of every sequence) in target and draft.</summary>
    public void ResetCache()
    {
        _target.Reset();
        _draftModel?.Reset();
    }

    private IEnumerable<int> Run(IReadOnlyList<int> prompt, GenerationSettings settings, SpeculationStatistics statistics, ISpeculativeVerifier verifier, CancellationToken cancellationToken)
    {
        var tokens = new List<int>(prompt.Count + settings.MaxTokens + 1);
        tokens.AddRange(prompt);
        var processor = new LogitProcessor(settings.Sampling, settings.Constraint);
        IRandomSource random = settings.RandomSource ?? new SeededRandomSource(settings.Seed ?? Random.Shared.NextInt64());
        IDraftSource? drafter = settings.Mode switch
        {
            SpeculationMode.DraftModel or SpeculationMode.MultiDraft or SpeculationMode.Judge => _draftModel,
            SpeculationMode.PromptLookup => LookupSource(settings),
            _ => null,
        };
        drafter = PredictionDrafting.Select(settings, drafter, _draftModel, Target.VocabularySize);
        int maxBranchCount = settings.Mode == SpeculationMode.MultiDraft ? settings.DraftCount : 1;
        var policy = settings.Adaptive && drafter is not null ? AdaptivePolicy : null;
        bool measureBound = settings.MeasuresOptimalAcceptance && verifier.IsLossless && !settings.Sampling.IsGreedy && verifier.Scheme != DraftScheme.TopK;
        int vocabulary = Target.VocabularySize;
        double[] target = new double[vocabulary];
        double[] scratch = new double[vocabulary];
        int generated = 0;
        bool stepInProgress = false;

        try
        {
            stepInProgress = true;
            _target.Prefill(CollectionsMarshal.AsSpan(tokens), tokens.Count - 1, logitsAtLast: false, _batch, statistics, isTarget: true);
            stepInProgress = false;
            while (generated < settings.MaxTokens && tokens.Count < Target.ContextSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stepInProgress = true;
                int n = tokens.Count;
                int remaining = settings.MaxTokens - generated;

                var plan = policy?.Choose(settings.DraftLength, maxBranchCount) ?? new DraftPlan(settings.DraftLength, maxBranchCount, IsProbe: false);
                int branchCount = Math.Max(1, plan.Count);

                // Room for the pending token plus the whole tree in one batch and in the context (a unified
                // KV cache holds every branch's nodes in the same cells budget).
                int draftLength = Math.Min(plan.Length, remaining - 1);
                draftLength = Math.Min(draftLength, (Target.ContextSize - n) / branchCount);
                draftLength = Math.Min(draftLength, (Target.MaxBatchSize - 1) / branchCount);
                _tree.Reset(tokens[n - 1], branchCount, vocabulary);
                var request = new DraftRequest(tokens, generated, verifier.Scheme, processor, random, statistics);
                if (drafter is not null)
                {
                    statistics.RecordDraftPlan(Math.Max(0, draftLength), branchCount, speculationOff: policy is not null && plan.Length == 0);
                }

                if (drafter is not null && draftLength > 0)
                {
                    long draftStart = _time.GetTimestamp();
                    drafter.Draft(request, _tree, draftLength);
                    policy?.RecordDraft(draftLength, branchCount, _time.GetElapsedTime(draftStart));
                }

                // One target batch: the pending token and every drafted node.
                if (_tree.BranchCount > 1 && _tree.DraftedCount > 0)
                {
                    _target.Fork(_tree.BranchCount);
                }

                _batch.Clear();
                for (int i = 0; i < _tree.Nodes.Count; i++)
                {
                    var node = _tree.Nodes[i];
                    _sequences.Clear();
                    if (_target.BranchSequences.Count == 0)
                    {
                        _sequences.Add(_target.MainSequence);
                    }
                    else
                    {
                        foreach (int b in node.Branches)
                        {
                            _sequences.Add(_target.BranchSequences[b]);
                        }
                    }

                    node.TargetBatchIndex = _batch.Add(node.Token, n - 1 + node.Depth, CollectionsMarshal.AsSpan(_sequences), wantLogits: true);
                }

                long decodeStart = _time.GetTimestamp();
                Target.Decode(_batch);
                var decodeTime = _time.GetElapsedTime(decodeStart);
                statistics.RecordDecode(true, _batch.Count, decodeTime, prefill: false);
                policy?.RecordTargetDecode(_batch.Count, decodeTime);

                // Verify: walk the tree from the root along the committed tokens.
                long verifyStart = Stopwatch.GetTimestamp();
                int nodeIndex = 0;
                int winner = 0;
                int pathLength = 0;
                int accepted = 0;
                int committedThisStep = 0;
                bool stop = false;
                while (true)
                {
                    var node = _tree.Nodes[nodeIndex];
                    processor.Process(Target.GetLogits(node.TargetBatchIndex), CollectionsMarshal.AsSpan(tokens), generated, target);
                    CollectCandidates(nodeIndex);
                    var draft = _tree.ChildDistributionOf(nodeIndex);
                    var candidates = CollectionsMarshal.AsSpan(_candidates);
                    if (measureBound && !candidates.IsEmpty && !draft.IsEmpty)
                    {
                        statistics.RecordAcceptanceBound(
                            OptimalAcceptance.Optimal(verifier.Scheme, target, draft, candidates),
                            OptimalAcceptance.Achieved(verifier, target, draft, candidates, scratch));
                    }

                    var result = verifier.Verify(new VerificationNode(target, draft, candidates, scratch) { JudgeScores = JudgeScores(settings.Judge, candidates.Length) }, random);
                    tokens.Add(result.Token);
                    generated++;
                    committedThisStep++;
                    if (result.IsAccepted)
                    {
                        accepted++;
                    }

                    stop = settings.StopTokens.Contains(result.Token) || generated >= settings.MaxTokens || tokens.Count >= Target.ContextSize;
                    int child = ChildOnPath(result.Token);
                    if (!candidates.IsEmpty)
                    {
                        statistics.RecordDepth(node.Depth + 1, child >= 0);
                        policy?.RecordDepth(node.Depth + 1, branchCount, child >= 0);
                    }

                    if (child < 0)
                    {
                        break;
                    }

                    nodeIndex = child;
                    winner = _tree.Nodes[child].Branches[0];
                    pathLength++;
                    if (stop)
                    {
                        break;
                    }
                }

                statistics.RecordStep(_tree.DraftedCount, accepted, committedThisStep, !verifier.IsLossless && _tree.DraftedCount > 0, Stopwatch.GetElapsedTime(verifyStart));

                // Roll back: keep the followed branch up to the committed tokens, drop the rest.
                var committed = CollectionsMarshal.AsSpan(tokens);
                _target.Commit(winner, tokens.Count - 1, committed);
                if (drafter is not null && draftLength > 0)
                {
                    drafter.Commit(winner, pathLength, committed);
                }

                _tree.Release();
                stepInProgress = false;
                for (int i = n; i < tokens.Count; i++)
                {
                    yield return tokens[i];
                }

                if (stop)
                {
                    break;
                }
            }
        }
        finally
        {
            _tree.Release();
            if (stepInProgress)
            {
                // An exception mid-step leaves KV entries the caches do not know about: start clean.
                ResetCache();
            }
        }
    }

    private IDraftSource LookupSource(GenerationSettings settings)
    {
        var lookup = new PromptLookupDraftSource(settings.PromptLookupMaxNgram, settings.PromptLookupMinNgram);
        return settings.CombineLookupWithDraftModel && _draftModel is not null ? new CombinedDraftSource(lookup, _draftModel) : lookup;
    }

    private void CollectCandidates(int nodeIndex)
    {
        _candidates.Clear();
        _candidateNodes.Clear();
        var node = _tree.Nodes[nodeIndex];
        foreach (int b in node.Branches)
        {
            var path = _tree.PathOf(b);
            if (path.Count > node.Depth)
            {
                _candidates.Add(_tree.Nodes[path[node.Depth]].Token);
                _candidateNodes.Add(path[node.Depth]);
            }
        }
    }

    /// <summary>The judge's score of each candidate, from the target's hidden state at that draft token in this step's batch.</summary>
    private double[]? JudgeScores(Judge.JudgeHead? judge, int candidateCount)
    {
        if (judge is null || candidateCount == 0)
        {
            return null;
        }

        var scores = new double[candidateCount];
        for (int i = 0; i < candidateCount; i++)
        {
            scores[i] = judge.Score(Target.GetHiddenState(_tree.Nodes[_candidateNodes[i]].TargetBatchIndex));
        }

        return scores;
    }

    private int ChildOnPath(int token)
    {
        int i = _candidates.IndexOf(token);
        return i < 0 ? -1 : _candidateNodes[i];
    }
}
