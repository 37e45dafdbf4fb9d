using System.ComponentModel.DataAnnotations;

namespace SpecAI.Extensions;

/// <summary>
/// Settings of a <see cref="SpeculativeChatClient"/>. Flat, so it binds from an <c>IConfiguration</c>
/// section (conventionally "SpecAI").
/// </summary>
public sealed class SpeculativeChatClientOptions
{
    /// <summary>The configuration section name conventionally used for these options.</summary>
    public const string SectionName = "SpecAI";

    /// <summary>Most entries in <see cref="TensorSplits"/>: llama.cpp's device limit (<c>llama_max_devices</c>).</summary>
    public const int MaxTensorSplits = 16;

    /// <summary>Path of the target GGUF model (the model whose answers you want). Required.</summary>
    [Required]
    public string TargetModelPath { get; set; } = string.Empty;

    /// <summary>Path of the draft GGUF model (small; ideally the target's family, see <see cref="VocabularyMapping"/>). Optional.</summary>
    public string? DraftModelPath { get; set; }

    /// <summary>
    /// How a draft whose vocabulary is not the target's drafts for it, decided once at load (see
    /// <see cref="SpeculativeChatClient.VocabularyCompatibility"/>). Auto (default) accepts identical, padded, re-numbered
    /// and cross-tokenizer drafts; Exact refuses anything but identical vocabularies. Every mapping is lossless.
    /// </summary>
    public VocabularyMapping VocabularyMapping { get; set; } = VocabularyMapping.Auto;

    /// <summary>Model id reported in responses; defaults to the target file's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Context size in tokens; 0 takes the target's training context, capped at 4096.</summary>
    [Range(0, 1 << 20)]
    public int ContextSize { get; set; }

    /// <summary>Target layers offloaded to the GPU (needs a GPU backend such as LLamaSharp.Backend.Cuda12); 0 = CPU.</summary>
    [Range(-1, 1000)]
    public int GpuLayerCount { get; set; }

    /// <summary>Draft layers offloaded to the GPU; 0 = CPU.</summary>
    [Range(-1, 1000)]
    public int DraftGpuLayerCount { get; set; }

    /// <summary>Main GPU index for multi-GPU machines (0 or more).</summary>
    public int MainGpu { get; set; }

    /// <summary>How a model is split across GPUs: "None", "Layer" or "Row" (llama.cpp split modes); null keeps the default.</summary>
    public string? SplitMode { get; set; }

    /// <summary>
    /// Fraction of the model per GPU, e.g. [0.6, 0.4]; null splits by free memory. At most <see cref="MaxTensorSplits"/>
    /// entries, each finite and 0 or more, not all 0.
    /// </summary>
    public float[]? TensorSplits { get; set; }

    /// <summary>Where drafts come from; null means <see cref="SpeculationMode.DraftModel"/> when a draft path is set, else <see cref="SpeculationMode.None"/>.</summary>
    public SpeculationMode? Mode { get; set; }

    /// <summary>Tokens drafted per step (gamma).</summary>
    [Range(0, SpeculationLimits.MaxDraftLength)]
    public int DraftLength { get; set; } = 4;

    /// <summary>
    /// Whether sliding-window attention layers (Gemma 3/4, gpt-oss) keep a full-size KV cache. Default <see langword="false"/>:
    /// those layers then hold about one window per sequence instead of the whole context (Gemma 3 27B: 52 of 62 layers),
    /// speculation and multi-draft stay exact (rejected drafts are the newest tokens), and a follow-up that appends to the
    /// conversation reuses it; only a conversation edited further back than the window is prefilled again. Set
    /// <see langword="true"/> to reuse edited conversations at the cost of that memory.
    /// </summary>
    public bool SwaFull { get; set; }

    /// <summary>
    /// Recurrent-state snapshots per sequence for native rollback of rejected drafts (llama.cpp <c>n_rs_seq</c>; only
    /// qwen35/qwen35moe have them). Null: <see cref="DraftLength"/>. 0: no snapshots, hybrids roll back by checkpoint and
    /// replay (llama.cpp marks the snapshots experimental). Deeper rollbacks than the snapshots use a checkpoint.
    /// </summary>
    [Range(0, SpeculationLimits.MaxDraftLength)]
    public int? RecurrentRollbackSnapshots { get; set; }

    /// <summary>Drafts per step (k) in <see cref="SpeculationMode.MultiDraft"/>.</summary>
    [Range(1, SpeculationLimits.MaxDraftCount)]
    public int DraftCount { get; set; } = 4;

    /// <summary>Verification rule; <see cref="VerifierKind.Typical"/> is lossy, <see cref="VerifierKind.Lantern"/> lossy within <see cref="LanternDelta"/>.</summary>
    public VerifierKind Verifier { get; set; } = VerifierKind.Standard;

    /// <summary>
    /// A verification rule of your own for every request, used instead of <see cref="Verifier"/>; null (the default) for the
    /// built-in rules. The contract is <see cref="Engine.GenerationSettings.CustomVerifier"/>'s: one engine thread calls it,
    /// node after node. Per request: an <see cref="Verification.ISpeculativeVerifier"/> instance as
    /// <see cref="SpeculativeChatOptionKeys.Verifier"/> (a rule name there replaces this one). Code only: not read from configuration.
    /// </summary>
    public Verification.ISpeculativeVerifier? CustomVerifier { get; set; }

    /// <summary>
    /// TV budget per step of <see cref="VerifierKind.Lantern"/> in [0, 1]: each committed token's law stays within this
    /// total-variation distance of the target's (LOSSY above 0; 0 is standard verification, answer for answer).
    /// Per request: <see cref="SpeculativeChatOptionKeys.LanternDelta"/>.
    /// </summary>
    [Range(0.0, 1.0)]
    public double LanternDelta { get; set; } = Verification.LanternVerifier.DefaultDelta;

    /// <summary>Neighbourhood size k of <see cref="VerifierKind.Lantern"/>. Per request: <see cref="SpeculativeChatOptionKeys.LanternK"/>.</summary>
    [Range(1, Verification.LanternVerifier.MaxNeighbourCount)]
    public int LanternK { get; set; } = Verification.LanternVerifier.DefaultNeighbourCount;

    /// <summary>Let the engine tune draft length and count (and switch speculation off) from measured costs.</summary>
    public bool Adaptive { get; set; }

    /// <summary>Default seed when a request sets none; null draws a fresh seed per request.</summary>
    public int? Seed { get; set; }

    /// <summary>Default temperature when a request sets none (0 = greedy).</summary>
    [Range(0.0, 10.0)]
    public double Temperature { get; set; } = 0.7;

    /// <summary>Default answer length limit when a request sets none.</summary>
    [Range(1, 1 << 20)]
    public int MaxOutputTokens { get; set; } = 512;

    /// <summary>CPU threads for decoding; 0 = llama.cpp's default.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>Most tokens per decode (prompt chunk and verification tree).</summary>
    [Range(8, 1 << 16)]
    public int BatchSize { get; set; } = 512;

    /// <summary>Most KV sequences a context may have (llama.cpp's limit as this library uses it).</summary>
    public const int MaxSequenceCount = 64;

    /// <summary>
    /// KV sequences per context; 0 (default) sizes it for <see cref="MaxConcurrentRequests"/> requests (times
    /// <see cref="DraftCount"/> in multi-draft) plus a few cached conversations. Bounds the multi-draft count.
    /// </summary>
    [Range(0, MaxSequenceCount)]
    public int SequenceCount { get; set; }

    /// <summary>
    /// Requests decoded together in shared batches (default 8); more wait in a queue. The context's KV cells
    /// (<see cref="ContextSize"/>) are shared by the running requests: raise it for many long conversations.
    /// </summary>
    [Range(1, 256)]
    public int MaxConcurrentRequests { get; set; } = 8;

    /// <summary>Requests that may wait for a free slot (default 32); one more fails at once with <see cref="RequestQueueFullException"/>.</summary>
    [Range(0, 1 << 20)]
    public int MaxQueuedRequests { get; set; } = 32;

    /// <summary>
    /// A trained judge head file (see <c>SpecAI.Extensions.Judge.JudgeHead.Save</c>) for <see cref="SpeculationMode.Judge"/>.
    /// Judge decoding is LOSSY: it keeps drafts the target would not have produced when the judge finds them acceptable.
    /// Setting it loads the target with hidden-state output (slower per batch): only set it when you use the mode.
    /// </summary>
    public string? JudgeHeadPath { get; set; }

    /// <summary>
    /// Judge threshold in [0, 1] for <see cref="SpeculationMode.Judge"/>: a draft token the standard rule rejects is kept
    /// when the judge scores it above this. 1 never judges (exactly standard verification); lower is faster and LOSSIER.
    /// Null takes the head's default threshold. Per request: <see cref="SpeculativeChatOptionKeys.JudgeThreshold"/>.
    /// </summary>
    [Range(0.0, 1.0)]
    public double? JudgeThreshold { get; set; }

    /// <summary>Most draft tokens the judge may keep per verification step (bounds how far one step can drift); null for no limit.</summary>
    [Range(1, 64)]
    public int? MaxJudgedTokensPerStep { get; set; }

    /// <summary>How tools (<c>ChatOptions.Tools</c>) are presented to the model; Auto picks from its chat template.</summary>
    public ToolCallFormat ToolCallFormat { get; set; } = ToolCallFormat.Auto;

    /// <summary>
    /// Whether message content may spell control tokens such as <c>&lt;|im_start|&gt;</c>. Off by default: content (user and
    /// assistant text, instructions, tool declarations, calls and results) is tokenized as plain text, so a message or a web
    /// page returned by a tool cannot forge turns; only the chat template's own scaffolding produces control tokens. Turn it
    /// on only when every message is trusted.
    /// </summary>
    public bool AllowControlTokensInContent { get; set; }

    /// <summary>Receives model load progress in [0, 1] (target, then draft).</summary>
    public IProgress<float>? LoadProgress { get; set; }

    /// <summary>The mode in effect after defaults.</summary>
    public SpeculationMode EffectiveMode => Mode ?? (string.IsNullOrEmpty(DraftModelPath) ? SpeculationMode.None : SpeculationMode.DraftModel);

    /// <summary>
    /// These options as the defaults of every request (<see cref="Engine.GenerationSettings"/>), before the request's
    /// <c>ChatOptions</c> are mapped on top; the client adds what it loaded (end-of-generation tokens, judge head, token embeddings).
    /// </summary>
    internal Engine.GenerationSettings ToGenerationSettings() => new()
    {
        Sampling = new Sampling.SamplingOptions { Temperature = Temperature },
        Seed = Seed,
        MaxTokens = MaxOutputTokens,
        Mode = EffectiveMode,
        DraftLength = DraftLength,
        DraftCount = DraftCount,
        Verifier = Verifier,
        CustomVerifier = CustomVerifier,
        Adaptive = Adaptive,
        JudgeThreshold = JudgeThreshold,
        MaxJudgedTokensPerStep = MaxJudgedTokensPerStep,
        LanternDelta = LanternDelta,
        LanternNeighbourCount = LanternK,
    };

    /// <summary>Checks the options and throws a message that names the bad setting.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException($"Invalid {nameof(SpeculativeChatClientOptions)}: {string.Join(" ", results.Select(r => r.ErrorMessage))}", nameof(SpeculativeChatClientOptions));
        }

        var mode = EffectiveMode;
        if (mode is SpeculationMode.DraftModel or SpeculationMode.MultiDraft or SpeculationMode.Judge && string.IsNullOrEmpty(DraftModelPath))
        {
            throw new ArgumentException($"Speculation mode {mode} needs {nameof(DraftModelPath)}.", nameof(DraftModelPath));
        }

        if (mode == SpeculationMode.Judge && string.IsNullOrEmpty(JudgeHeadPath))
        {
            throw new ArgumentException($"Speculation mode Judge needs {nameof(JudgeHeadPath)} (a trained judge head).", nameof(JudgeHeadPath));
        }

        if (!Enum.IsDefined(VocabularyMapping))
        {
            throw new ArgumentException($"{nameof(VocabularyMapping)} {VocabularyMapping} is not one of Auto, Exact, Intersection, Text.", nameof(VocabularyMapping));
        }

        if (SplitMode is not null && !Enum.TryParse<LLama.Native.GPUSplitMode>(SplitMode, ignoreCase: true, out _))
        {
            throw new ArgumentException($"{nameof(SplitMode)} '{SplitMode}' is not one of None, Layer, Row.", nameof(SplitMode));
        }

        if (MainGpu < 0)
        {
            throw new ArgumentException($"{nameof(MainGpu)} must be 0 or more, got {MainGpu}.", nameof(MainGpu));
        }

        if (TensorSplits is { Length: > 0 } splits)
        {
            if (splits.Length > MaxTensorSplits)
            {
                throw new ArgumentException($"{nameof(TensorSplits)} has {splits.Length} entries; llama.cpp supports at most {MaxTensorSplits} devices.", nameof(TensorSplits));
            }

            if (splits.Any(v => !float.IsFinite(v) || v < 0) || splits.All(v => v == 0))
            {
                throw new ArgumentException($"{nameof(TensorSplits)} [{string.Join(", ", splits)}] must hold finite fractions of 0 or more, not all 0.", nameof(TensorSplits));
            }
        }

        if (mode == SpeculationMode.MultiDraft && SequenceCount > 0 && DraftCount > SequenceCount)
        {
            throw new ArgumentException($"{nameof(DraftCount)} {DraftCount} exceeds {nameof(SequenceCount)} {SequenceCount}.", nameof(DraftCount));
        }
    }

    /// <summary>A copy (options are cloned before they are changed).</summary>
    /// <returns>The copy.</returns>
    public SpeculativeChatClientOptions Clone() => (SpeculativeChatClientOptions)MemberwiseClone();
}
