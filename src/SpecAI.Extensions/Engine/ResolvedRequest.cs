using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// One generation as the engine runs it: a prompt and its <see cref="GenerationSettings"/> resolved, against the engine's
/// target and draft model, into the verifier instance, the draft sources, the limits, the stop rules, the constraint and
/// the random source. Validated once, when it is made (<see cref="Resolve"/>, the one place the settings' rules live);
/// the engine and the scheduler take it as it is.
/// </summary>
/// <remarks>
/// Immutable: what changes while the answer is generated (tokens, slots, the step's tree) is the
/// <see cref="GenerationRequest"/>'s. The verifier, the draft sources and the random source it holds are instances that
/// request alone uses (a stateful rule, a seeded generator), so a resolved request serves one generation.
/// </remarks>
internal sealed class ResolvedRequest
{
    private ResolvedRequest(IReadOnlyList<int> prompt, GenerationSettings settings, ISpeculativeVerifier verifier, VerifierKind verifierKind, bool isLossless, IReadOnlyList<IDraftSource> draftSources, bool usesDraftModel, int contextLimit, int draftContextLimit, int vocabularySize)
    {
        Prompt = [.. prompt]; // a copy: the caller may reuse its list
        VocabularySize = vocabularySize;
        Mode = settings.Mode;
        Sampling = settings.Sampling;
        Constraint = settings.Constraint;
        Random = settings.RandomSource ?? new SeededRandomSource(settings.Seed ?? System.Random.Shared.NextInt64());
        MaxTokens = settings.MaxTokens;
        DraftLength = settings.DraftLength;
        MaxBranchCount = settings.Mode == SpeculationMode.MultiDraft ? settings.DraftCount : 1;
        Adaptive = settings.Adaptive;
        StopTokens = settings.StopTokens;
        StopSequences = settings.TextDecoder is not null && settings.StopSequences.Any(s => !string.IsNullOrEmpty(s)) ? settings.StopSequences : [];
        TextDecoder = StopSequences.Count > 0 ? settings.TextDecoder : null;
        Judge = settings.Mode == SpeculationMode.Judge ? settings.Judge : null;
        Verifier = verifier;
        VerifierKind = verifierKind;
        IsLossless = isLossless;
        MeasuresBound = settings.MeasuresOptimalAcceptance && verifier.IsLossless && !settings.Sampling.IsGreedy && verifier.Scheme != DraftScheme.TopK;
        DraftSources = draftSources;
        UsesDraftModel = usesDraftModel;
        ContextLimit = contextLimit;
        DraftContextLimit = draftContextLimit;
    }

    /// <summary>The prompt tokens (at least one, each inside the target's vocabulary, fewer than its context).</summary>
    public IReadOnlyList<int> Prompt { get; }

    /// <summary>The target's vocabulary size (every distribution of the request is sized for it).</summary>
    public int VocabularySize { get; }

    /// <summary>Where drafts come from.</summary>
    public SpeculationMode Mode { get; }

    /// <summary>Sampling transforms, applied identically to target and draft.</summary>
    public SamplingOptions Sampling { get; }

    /// <summary>The constraint (grammar) applied to draft and target distributions; null for none.</summary>
    public ITokenConstraint? Constraint { get; }

    /// <summary>The request's random source: the one given, or one seeded from the settings' seed (a fresh seed when none).</summary>
    public IRandomSource Random { get; }

    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; }

    /// <summary>Tokens per draft as configured (the step's plan may shorten it).</summary>
    public int DraftLength { get; }

    /// <summary>Drafts per step: the settings' draft count in multi-draft mode, 1 otherwise.</summary>
    public int MaxBranchCount { get; }

    /// <summary>Whether the engine's adaptive policy chooses the draft length and count.</summary>
    public bool Adaptive { get; }

    /// <summary>Tokens that end the generation (committed, then it stops).</summary>
    public IReadOnlySet<int> StopTokens { get; }

    /// <summary>Texts that end the generation (non-empty only together with <see cref="TextDecoder"/>).</summary>
    public IReadOnlyList<string> StopSequences { get; }

    /// <summary>Creates the decoder <see cref="StopSequences"/> are matched through; null when there are none.</summary>
    public Func<ITokenTextDecoder>? TextDecoder { get; }

    /// <summary>The judge head that scores candidates; only in <see cref="SpeculationMode.Judge"/>.</summary>
    public Judge.JudgeHead? Judge { get; }

    /// <summary>The verification rule instance for this request.</summary>
    public ISpeculativeVerifier Verifier { get; }

    /// <summary>The rule's name as reported (telemetry): a custom rule's own kind, else the built-in kind resolved from the settings.</summary>
    public VerifierKind VerifierKind { get; }

    /// <summary>Whether the answer follows the target's law exactly (as <see cref="GenerationSettings.IsLossless"/> reports).</summary>
    public bool IsLossless { get; }

    /// <summary>Whether the optimal-acceptance diagnostic runs (asked for, and meaningful for the rule and sampling).</summary>
    public bool MeasuresBound { get; }

    /// <summary>The request's draft sources in drafting order; empty when it does not speculate.</summary>
    public IReadOnlyList<IDraftSource> DraftSources { get; }

    /// <summary>Whether the request holds sequences in the draft model's KV cache (the engine's <see cref="ModelDraftSource"/> is one of its sources).</summary>
    public bool UsesDraftModel { get; }

    /// <summary>Most tokens (prompt and answer) the request may hold: its share of the target's context.</summary>
    public int ContextLimit { get; }

    /// <summary>Most tokens the request may hold in the draft model's KV cache (room for a draft tokenizer that needs more tokens).</summary>
    public int DraftContextLimit { get; }

    /// <summary>
    /// Resolves and validates a request: the one place where <see cref="GenerationSettings"/> become a verifier, draft
    /// sources and limits. Rules, in order:
    /// <list type="number">
    /// <item>Ranges (<see cref="GenerationSettings.Validate"/>, once) and the prompt (non-empty, inside the vocabulary, shorter than the context).</item>
    /// <item>The mode needs what it drafts with: a draft model for DraftModel, MultiDraft and Judge; sequences that can be
    /// rolled back in target and draft; in Judge mode a judge head and a target with hidden states. A custom draft source
    /// drafts one branch, so it is not allowed with MultiDraft or Judge.</item>
    /// <item>The verifier: <paramref name="verifier"/> (tests), else <see cref="GenerationSettings.CustomVerifier"/>, else
    /// the judge rule in Judge mode, else LANTERN above temperature 0 (the standard rule in mode None, where nothing is
    /// drafted), else the rule <see cref="GenerationSettings.Verifier"/> names, where <see cref="VerifierKind.Standard"/>
    /// in MultiDraft means <see cref="VerifierKind.KSeq"/> (the standard rule takes one draft per position; K-SEQ is its
    /// k-draft generalisation).</item>
    /// <item>The draft sources: a custom source (not in mode None), else the prediction; prompt lookup in PromptLookup when
    /// neither; then the engine's draft source where the mode uses it.</item>
    /// </list>
    /// </summary>
    /// <param name="prompt">Prompt tokens.</param>
    /// <param name="settings">The settings.</param>
    /// <param name="target">The engine's target.</param>
    /// <param name="draftModel">The engine's draft source; null when it has none.</param>
    /// <param name="verifier">A rule instance that takes precedence over every setting (tests pair rules with wrong schemes); null otherwise.</param>
    /// <returns>The resolved request.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the message names it).</exception>
    /// <exception cref="ArgumentException">The prompt is invalid (parameter name <c>prompt</c>), stop sequences lack a decoder, a custom draft source is combined with a mode that drafts several branches, or LANTERN's embeddings do not match the target's vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The mode needs a draft model, a judge head, hidden states or token embeddings the engine or settings lack.</exception>
    /// <exception cref="NotSupportedException">Speculation on a model that can neither remove nor checkpoint a sequence's tail.</exception>
    public static ResolvedRequest Resolve(IReadOnlyList<int> prompt, GenerationSettings settings, IModelSession target, IDraftSource? draftModel, ISpeculativeVerifier? verifier = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(target);
        settings.Validate();
        CheckPrompt(prompt, target);
        var mode = settings.Mode;
        var modelDrafter = draftModel as ModelDraftSource;
        CheckMode(settings, target, draftModel, modelDrafter);

        var kind = mode == SpeculationMode.MultiDraft && settings.Verifier == VerifierKind.Standard ? VerifierKind.KSeq : settings.Verifier;
        var given = verifier ?? settings.CustomVerifier;
        var rule = given ?? SelectVerifier(settings, kind, target);
        bool lossless = given is not null ? given.IsLossless : mode == SpeculationMode.None || rule.IsLossless;

        // Allocation follows the context, not MaxTokens (which may be int.MaxValue).
        int contextLimit = (int)Math.Min(target.ContextSize, (long)prompt.Count + settings.MaxTokens + 1);
        var sources = new List<IDraftSource>();
        if (settings.DraftSource is { } custom && mode != SpeculationMode.None)
        {
            sources.Add(custom);
        }
        else if (Prediction(settings, target.VocabularySize) is { } prediction)
        {
            sources.Add(prediction);
        }

        if (mode == SpeculationMode.PromptLookup && sources.Count == 0)
        {
            sources.Add(new PromptLookupDraftSource(settings.PromptLookupMaxNgram, settings.PromptLookupMinNgram));
        }

        bool useDraftModel = mode is SpeculationMode.DraftModel or SpeculationMode.MultiDraft or SpeculationMode.Judge
            || (mode == SpeculationMode.PromptLookup && settings.CombineLookupWithDraftModel && draftModel is not null);
        if (useDraftModel)
        {
            sources.Add(draftModel!);
        }

        // Another tokenizer may need more tokens for the same text: half as many again (drafting stops beyond).
        bool usesDraftKv = useDraftModel && modelDrafter is not null;
        int draftContextLimit = usesDraftKv && modelDrafter!.Vocabulary is { IsMapped: true }
            ? Math.Min(modelDrafter.Session.ContextSize, contextLimit + contextLimit / 2)
            : contextLimit;
        return new ResolvedRequest(prompt, settings, rule, given?.Kind ?? kind, lossless, sources, usesDraftKv, contextLimit, draftContextLimit, target.VocabularySize);
    }

    private static void CheckPrompt(IReadOnlyList<int> prompt, IModelSession target)
    {
        if (prompt.Count == 0)
        {
            throw new ArgumentException("The prompt must contain at least one token.", nameof(prompt));
        }

        if (prompt.Count >= target.ContextSize)
        {
            throw new ArgumentException($"The prompt has {prompt.Count} tokens but the context of '{target.ModelName}' holds {target.ContextSize}; shorten the conversation or raise the context size.", nameof(prompt));
        }

        foreach (int token in prompt)
        {
            if ((uint)token >= (uint)target.VocabularySize)
            {
                throw new ArgumentException($"Prompt token {token} is outside the vocabulary of '{target.ModelName}' (0..{target.VocabularySize - 1}).", nameof(prompt));
            }
        }
    }

    private static void CheckMode(GenerationSettings settings, IModelSession target, IDraftSource? draftModel, ModelDraftSource? modelDrafter)
    {
        var mode = settings.Mode;
        if (settings.DraftSource is not null && mode is SpeculationMode.MultiDraft or SpeculationMode.Judge)
        {
            throw new ArgumentException($"A custom draft source (GenerationSettings.DraftSource) drafts one branch before the draft model; mode {mode} drafts several branches from the root. Use mode DraftModel or PromptLookup.", nameof(settings));
        }

        if (mode is SpeculationMode.DraftModel or SpeculationMode.MultiDraft && draftModel is null)
        {
            throw new InvalidOperationException($"Speculation mode {mode} needs a draft model, and none was configured.");
        }

        if (mode != SpeculationMode.None && target.Rollback == SequenceRollback.None)
        {
            throw new NotSupportedException($"'{target.ModelName}' can neither remove rejected draft tokens from its KV cache nor checkpoint and restore a sequence, so speculation mode {mode} is not possible with it; use mode None.");
        }

        if (mode != SpeculationMode.None && modelDrafter is { } drafter && drafter.Session.Rollback == SequenceRollback.None)
        {
            throw new NotSupportedException($"The draft model '{drafter.Session.ModelName}' can neither remove rejected draft tokens from its KV cache nor checkpoint and restore a sequence; use a draft model with attention or checkpoints, or prompt lookup.");
        }

        if (mode == SpeculationMode.Judge)
        {
            if (settings.Judge is null || draftModel is null)
            {
                throw new InvalidOperationException("Judge decoding needs a draft model and a judge head (GenerationSettings.Judge; in the chat client, SpeculativeChatClientOptions.JudgeHeadPath).");
            }

            if (!target.ProvidesHiddenStates)
            {
                throw new InvalidOperationException($"Judge decoding reads the target's hidden states, and '{target.ModelName}' was loaded without them.");
            }
        }
    }

    /// <summary>
    /// The predicted output's draft source (<see cref="GenerationSettings.PredictedTokens"/>), or null when there is none or
    /// the mode drafts several branches (multi-draft) or is judged (judge). In <see cref="SpeculationMode.PromptLookup"/> it
    /// falls back to prompt lookup over the committed tokens; the draft model, where the mode uses one, fills the draft
    /// length below it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A predicted token lies outside the vocabulary.</exception>
    private static PredictionDraftSource? Prediction(GenerationSettings settings, int vocabularySize)
    {
        if (settings.PredictedTokens is not { Count: > 0 } predicted || settings.Mode is SpeculationMode.MultiDraft or SpeculationMode.Judge)
        {
            return null;
        }

        foreach (int token in predicted)
        {
            if ((uint)token >= (uint)vocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(settings), token, $"{nameof(GenerationSettings.PredictedTokens)} holds token {token}, outside the target's vocabulary of {vocabularySize}.");
            }
        }

        return new PredictionDraftSource(predicted, settings.PromptLookupMaxNgram, settings.PromptLookupMinNgram, lookupInCommitted: settings.Mode == SpeculationMode.PromptLookup);
    }

    /// <summary>The built-in rule the settings select (no custom rule given).</summary>
    private static ISpeculativeVerifier SelectVerifier(GenerationSettings settings, VerifierKind kind, IModelSession target)
    {
        var mode = settings.Mode;
        if (mode == SpeculationMode.Judge)
        {
            return new JudgeVerifier(settings.JudgeThreshold ?? settings.Judge!.Threshold, settings.MaxJudgedTokensPerStep);
        }

        if (kind == VerifierKind.Lantern && !settings.Sampling.IsGreedy)
        {
            // Without drafts nothing is relaxed: plain decoding needs no embeddings.
            if (mode == SpeculationMode.None)
            {
                return StandardVerifier.Instance;
            }

            var embeddings = settings.TokenEmbeddings ?? throw new InvalidOperationException("The LANTERN verifier needs the target's token embeddings (GenerationSettings.TokenEmbeddings).");
            if (embeddings.VocabularySize != target.VocabularySize)
            {
                throw new ArgumentException($"The LANTERN verifier's token embeddings have {embeddings.VocabularySize} rows and '{target.ModelName}' {target.VocabularySize} tokens.", nameof(settings));
            }

            return new LanternVerifier(
                embeddings,
                settings.LanternDelta, settings.LanternNeighbourCount, measuresDistance: settings.MeasuresOptimalAcceptance,
                multiDraft: mode == SpeculationMode.MultiDraft ? KSeqVerifier.Instance : null);
        }

        return VerifierFactory.Create(kind, settings.Sampling);
    }
}
