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

    /// <summary>Path of the target GGUF model (the model whose answers you want). Required.</summary>
    [Required]
    public string TargetModelPath { get; set; } = string.Empty;

    /// <summary>Path of the draft GGUF model (small, same vocabulary). Optional.</summary>
    public string? DraftModelPath { get; set; }

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

    /// <summary>Main GPU index for multi-GPU machines.</summary>
    public int MainGpu { get; set; }

    /// <summary>How a model is split across GPUs: "None", "Layer" or "Row" (llama.cpp split modes); null keeps the default.</summary>
    public string? SplitMode { get; set; }

    /// <summary>Fraction of the model per GPU, e.g. [0.6, 0.4]; null splits by free memory.</summary>
    public float[]? TensorSplits { get; set; }

    /// <summary>Where drafts come from; null means <see cref="SpeculationMode.DraftModel"/> when a draft path is set, else <see cref="SpeculationMode.None"/>.</summary>
    public SpeculationMode? Mode { get; set; }

    /// <summary>Tokens drafted per step (gamma).</summary>
    [Range(0, 64)]
    public int DraftLength { get; set; } = 4;

    /// <summary>Drafts per step (k) in <see cref="SpeculationMode.MultiDraft"/>.</summary>
    [Range(1, 16)]
    public int DraftCount { get; set; } = 4;

    /// <summary>Verification rule; <see cref="VerifierKind.Typical"/> is lossy.</summary>
    public VerifierKind Verifier { get; set; } = VerifierKind.Standard;

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

    /// <summary>How tools (<c>ChatOptions.Tools</c>) are presented to the model; Auto picks from its chat template.</summary>
    public ToolCallFormat ToolCallFormat { get; set; } = ToolCallFormat.Auto;

    /// <summary>Receives model load progress in [0, 1] (target, then draft).</summary>
    public IProgress<float>? LoadProgress { get; set; }

    /// <summary>The mode in effect after defaults.</summary>
    public SpeculationMode EffectiveMode => Mode ?? (string.IsNullOrEmpty(DraftModelPath) ? SpeculationMode.None : SpeculationMode.DraftModel);

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

        if (SplitMode is not null && !Enum.TryParse<LLama.Native.GPUSplitMode>(SplitMode, ignoreCase: true, out _))
        {
            throw new ArgumentException($"{nameof(SplitMode)} '{SplitMode}' is not one of None, Layer, Row.", nameof(SplitMode));
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
