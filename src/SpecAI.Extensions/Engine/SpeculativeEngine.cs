using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// The speculative decoding loop: draft -> one target batch -> verify -> commit -> roll back KV, for one
/// request at a time (<see cref="Generate(IReadOnlyList{int}, GenerationSettings, SpeculationStatistics, CancellationToken)"/>)
/// or for many fused into shared batches (<c>GenerationScheduler</c>).
/// </summary>
/// <remarks>
/// Each request's target sequence holds every committed token but the last one (the "pending" token). A
/// step decodes, in ONE target batch, every running request's pending token followed by the nodes of its
/// draft tree (each node tagged with the sequence ids of the branches that run through it), plus prompt
/// chunks of requests still prefilling. Each request's verifier then walks its tree from the root; the
/// branch it followed becomes the request's main sequence and every other branch is dropped with
/// whole-sequence removals. Not thread-safe: one thread runs the steps (the scheduler's, or the caller of
/// <see cref="Generate(IReadOnlyList{int}, GenerationSettings, SpeculationStatistics, CancellationToken)"/>).
/// </remarks>
public sealed class SpeculativeEngine
{
    private readonly ModelMemory _target;
    private readonly IDraftSource? _draftModel;
    private readonly ModelDraftSource? _modelDrafter;
    private readonly StepBatch _step;

    /// <summary>Creates an engine over a target session and a draft model session (another backend's models included).</summary>
    /// <param name="target">The target model.</param>
    /// <param name="draftModel">The draft model: drafts for <see cref="SpeculationMode.DraftModel"/>, <see cref="SpeculationMode.MultiDraft"/> and <see cref="SpeculationMode.Judge"/>, for every request in shared batches. Same vocabulary as the target.</param>
    /// <exception cref="ArgumentException">The two vocabularies differ in size.</exception>
    public SpeculativeEngine(IModelSession target, IModelSession draftModel)
        : this(target, new ModelDraftSource(draftModel ?? throw new ArgumentNullException(nameof(draftModel))))
    {
    }

    /// <summary>Creates an engine over a target session and an optional draft source.</summary>
    /// <param name="target">The target model.</param>
    /// <param name="draftModel">Drafts for <see cref="SpeculationMode.DraftModel"/> and <see cref="SpeculationMode.MultiDraft"/> (and, combined with prompt lookup, for <see cref="SpeculationMode.PromptLookup"/>); null when there is no draft model. The library's own draft model source drafts for every request in shared batches; any other source is asked once per request and step.</param>
    /// <param name="timeProvider">Clock for the cost measurements of adaptive drafting; the system clock when null.</param>
    public SpeculativeEngine(IModelSession target, IDraftSource? draftModel = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = new ModelMemory(target);
        _draftModel = draftModel;
        _modelDrafter = draftModel as ModelDraftSource;
        if (_modelDrafter is { } drafter && (drafter.Vocabulary?.Target.Count ?? drafter.Session.VocabularySize) != target.VocabularySize)
        {
            throw new ArgumentException(
                drafter.Vocabulary is null
                    ? $"Draft '{drafter.Session.ModelName}' has {drafter.Session.VocabularySize} tokens and target '{target.ModelName}' {target.VocabularySize}: give the draft source a VocabularyBridge."
                    : $"The draft's vocabulary bridge describes a target of {drafter.Vocabulary.Target.Count} tokens, but '{target.ModelName}' has {target.VocabularySize}.",
                nameof(draftModel));
        }

        _step = new StepBatch(_target, _modelDrafter, AdaptivePolicy, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// The adaptive drafting policy, shared by the generations of this engine (costs and acceptance are
    /// properties of the models and the hardware); used when <see cref="GenerationSettings.Adaptive"/> is set: per
    /// request when one runs alone, for the whole batch when several are decoded together.
    /// </summary>
    internal AdaptiveDraftPolicy AdaptivePolicy { get; } = new();

    /// <summary>The target model's session.</summary>
    public IModelSession Target => _target.Session;

    /// <summary>Whether a draft model is available.</summary>
    public bool HasDraftModel => _draftModel is not null;

    /// <summary>How many leading tokens of the last finished conversation the target's KV cache still holds.</summary>
    public int CachedTokenCount => _target.MostRecentIdleCount;

    /// <summary>Most prompt tokens a request prefills per step while other requests are decoding (long prompts do not stall running answers).</summary>
    public int PrefillChunkSize
    {
        get => _step.PrefillChunkSize;
        set => _step.PrefillChunkSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The prefill chunk must hold at least one token.");
    }

    internal ModelMemory TargetMemory => _target;

    internal ModelMemory? DraftMemory => _modelDrafter?.Memory;

    /// <summary>
    /// Generates tokens after <paramref name="prompt"/> on the calling thread, yielding each as soon as it is
    /// committed. Stop enumerating at any time; the engine then keeps its KV cache consistent for the next call.
    /// </summary>
    /// <param name="prompt">Prompt tokens (at least one).</param>
    /// <param name="settings">Sampling, speculation and stopping settings.</param>
    /// <param name="statistics">Receives this generation's counters.</param>
    /// <param name="cancellationToken">Cancels between steps (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The generated tokens.</returns>
    /// <exception cref="ArgumentException">The prompt is empty, holds a token outside the vocabulary, or does not fit the context.</exception>
    /// <exception cref="NotSupportedException">Speculation was asked of a model that can neither remove nor checkpoint the tail of a sequence (<see cref="SequenceRollback.None"/>).</exception>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, GenerationSettings settings, SpeculationStatistics statistics, CancellationToken cancellationToken = default)
        => Generate(prompt, settings, statistics, verifier: null, cancellationToken);

    /// <summary>As the public overload, with a verifier instance that takes precedence over the settings' rule (tests pair rules with wrong schemes).</summary>
    internal IEnumerable<int> Generate(IReadOnlyList<int> prompt, GenerationSettings settings, SpeculationStatistics statistics, ISpeculativeVerifier? verifier, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        return RunAlone(CreateRequest(Resolve(prompt, settings, verifier), statistics), cancellationToken);
    }

    /// <summary>
    /// Superposed Decoding (Shen et al., NeurIPS 2024; LOSSY): k suggestions after <paramref name="prompt"/> from one
    /// pass per position, on the calling thread (the thread that owns the models). The target must take input
    /// embeddings (<c>IEmbeddingInputSession</c>). The prompt stays cached for the next call.
    /// </summary>
    /// <param name="prompt">Prompt tokens (at least one).</param>
    /// <param name="settings">k, token limit, temperature, n-gram weight and stop tokens.</param>
    /// <param name="cancellationToken">Cancels between passes.</param>
    /// <returns>The suggestions, best first.</returns>
    /// <exception cref="ArgumentException">The prompt is empty, holds a token outside the vocabulary, or does not fit the context.</exception>
    /// <exception cref="EmbeddingInputNotSupportedException">The target cannot take input embeddings.</exception>
    /// <exception cref="RequestQueueFullException">No sequence of the KV cache is free.</exception>
    internal Superposed.SuperposedResult Superpose(IReadOnlyList<int> prompt, Superposed.SuperposedSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (prompt.Count == 0 || prompt.Any(t => (uint)t >= (uint)Target.VocabularySize))
        {
            throw new ArgumentException("The prompt must hold at least one token, each inside the vocabulary.", nameof(prompt));
        }

        return Superposed.SuperposedRunner.Run(_target, prompt, settings, cancellationToken);
    }

    /// <summary>Forgets every cached conversation (KV of every sequence) in target and draft.</summary>
    public void ResetCache()
    {
        _target.Reset();
        _draftModel?.Reset();
    }

    /// <summary>
    /// Resolves and validates a prompt and its settings against this engine's models (<see cref="ResolvedRequest.Resolve"/>,
    /// the one place the settings' rules live); no native call.
    /// </summary>
    internal ResolvedRequest Resolve(IReadOnlyList<int> prompt, GenerationSettings settings, ISpeculativeVerifier? verifier = null)
        => ResolvedRequest.Resolve(prompt, settings, Target, _draftModel, verifier);

    /// <summary>Builds a resolved request's state (no native call, no further validation).</summary>
    internal static GenerationRequest CreateRequest(ResolvedRequest resolved, SpeculationStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        ArgumentNullException.ThrowIfNull(statistics);
        return new GenerationRequest(resolved, statistics);
    }

    /// <summary>Gives a request its KV slots, reusing the longest cached prefix of its prompt.</summary>
    internal void Admit(GenerationRequest request)
    {
        var target = _target.Acquire(request.Tokens, request.TargetPrefix);
        if (!request.UsesDraftModel)
        {
            request.Admit(target, draft: null, bridge: null);
            return;
        }

        // The draft's KV holds its own tokens for the committed ones: reuse is matched on those.
        var bridge = _modelDrafter!.CreateBridge();
        var history = (IReadOnlyList<int>?)bridge?.Sync(request.Tokens, request.Tokens.Count) ?? request.Tokens;
        request.Admit(target, _modelDrafter.Memory.Acquire(history, history.Count - 1), bridge);
    }

    /// <summary>
    /// Admits a request when a sequence is free and the KV cache has room for its whole context share next to
    /// the running requests' (idle cached conversations are evicted for it); a request that runs alone is
    /// always admitted.
    /// </summary>
    internal bool TryAdmit(GenerationRequest request, IEnumerable<GenerationRequest> running)
    {
        int count = 0, reserved = 0, draftReserved = 0;
        foreach (var other in running)
        {
            count++;
            reserved += other.ContextLimit;
            draftReserved += other.UsesDraftModel ? other.DraftContextLimit : 0;
        }

        if (!HasRoom(_target, count, reserved, request.ContextLimit)
            || (request.UsesDraftModel && !HasRoom(_modelDrafter!.Memory, count, draftReserved, request.DraftContextLimit)))
        {
            return false;
        }

        Admit(request);
        return true;
    }

    private static bool HasRoom(ModelMemory memory, int running, int reserved, int wanted)
    {
        if (running + 1 > memory.Session.MaxSequences)
        {
            return false;
        }

        while (reserved + wanted + memory.IdleCells > memory.Session.ContextSize)
        {
            if (!memory.EvictIdle())
            {
                return running == 0;
            }
        }

        return true;
    }

    /// <summary>Ends a request: its KV is kept for prefix reuse when consistent, else dropped.</summary>
    internal void Release(GenerationRequest request, bool keepCache)
    {
        var (target, draft) = request.ReleaseSlots();
        if (target is not null)
        {
            _target.Release(target, keepCache);
        }

        if (draft is not null)
        {
            _modelDrafter!.Memory.Release(draft, keepCache);
        }
    }

    /// <summary>
    /// One step for every request given (all admitted, none finished): draft, one target batch, verify,
    /// commit. A request whose verification throws is finished with its error; an exception from a decode
    /// resets every cache (the KV state is unknown) and propagates.
    /// </summary>
    internal void Step(IReadOnlyList<GenerationRequest> requests)
    {
        try
        {
            _step.Run(requests);
        }
        catch
        {
            ResetCache();
            throw;
        }
    }

    private IEnumerable<int> RunAlone(GenerationRequest request, CancellationToken cancellationToken)
    {
        bool consistent = true;
        var single = new[] { request };
        Admit(request);
        try
        {
            while (!request.IsFinished)
            {
                cancellationToken.ThrowIfCancellationRequested();
                consistent = false;
                Step(single);
                consistent = true;
                if (request.Error is { } error)
                {
                    ExceptionDispatchInfoThrow(error);
                }

                while (request.TryTakeEmitted(out int token))
                {
                    yield return token;
                }
            }
        }
        finally
        {
            Release(request, keepCache: consistent);
        }
    }

    private static void ExceptionDispatchInfoThrow(Exception error) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
}
