using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>What <see cref="LlamaModelForge"/> builds: a target and a draft with one vocabulary and controlled agreement.</summary>
public sealed record LlamaFamilyOptions
{
    /// <summary>
    /// Number of tokens of the target. Synthetic vocabulary: its size (default 32,000). With <see cref="TokenizerPath"/>:
    /// the tokenizer padded with unused <c>[PAD&lt;i&gt;]</c> tokens up to this size, as GGUF converters pad to a model's
    /// <c>vocab_size</c> (e.g. 151,936 for Qwen3, 152,064 for Qwen2.5-7B); default the tokenizer's own count.
    /// </summary>
    public int? VocabularySize { get; init; }

    /// <summary>
    /// A Hugging Face byte-level BPE <c>tokenizer.json</c> (with <c>tokenizer_config.json</c> beside it) whose tokens,
    /// merges, special tokens and chat template the models carry; null for the synthetic vocabulary.
    /// </summary>
    public string? TokenizerPath { get; init; }

    /// <summary>The draft's tokenizer when it differs from the target's (a cross-family pair); null: the target's.</summary>
    public string? DraftTokenizerPath { get; init; }

    /// <summary>
    /// The draft's token count after padding (e.g. 151,936 beside a 152,064 target); default: the target's count when
    /// both share the tokenizer, else the draft tokenizer's own count. Synthetic vocabularies pad the same way.
    /// </summary>
    public int? DraftVocabularySize { get; init; }

    /// <summary>
    /// Renames added tokens of the tokenizers (old text to new text), e.g. <see cref="ForgeFamilies.Llama31ToolTokens"/>
    /// names Llama 3's reserved slots as Llama 3.1 does (<c>&lt;|eom_id|&gt;</c>, <c>&lt;|python_tag|&gt;</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string>? AddedTokenNames { get; init; }

    /// <summary>
    /// Logit (relative to an ordinary token's mean of 0) of the tokens the models never sample: padding, control and
    /// user-defined added tokens other than EOS/EOT (default -40). Their other weights are zero.
    /// </summary>
    public double UnsampledLogit { get; init; } = -40;

    /// <summary>The target's size (default width 768, 8 blocks, FFN 2048, 12 heads: about 4 ms per token on 2 CPU cores).</summary>
    public LlamaModelShape Target { get; init; } = new(768, 8, 2048, 12);

    /// <summary>The draft's size (default width 128, 2 blocks, FFN 384, 2 heads: about 1/16 of the target's weight work per token).</summary>
    public LlamaModelShape Draft { get; init; } = new(128, 2, 384, 2);

    /// <summary>Requested greedy top-1 agreement of draft and target, in (0, 1].</summary>
    public double Agreement { get; init; } = 0.8;

    /// <summary>Mean entropy in nats of the target's next-token distribution at temperature 1 (default 3).</summary>
    public double TargetEntropy { get; init; } = 3.0;

    /// <summary>Rank of the shared bigram table; defaults to half the draft width (the other half carries the draft's perturbation).</summary>
    public int? BigramRank { get; init; }

    /// <summary>Type of the weight matrices (F32, F16, Q8_0 or Q4_0, with per-tensor fallback); norms stay F32. Default Q8_0.</summary>
    public GgufTensorType WeightType { get; init; } = GgufTensorType.Q8_0;

    /// <summary>Size of what each block adds to the residual stream relative to the embedding (default 0.002): real compute, a slight context dependence. Larger values lower the measured agreement below the calibrated one (0.01 costs about 0.03 at 0.95).</summary>
    public double ResidualScale { get; init; } = 0.002;

    /// <summary>Logit added to the end-of-sequence token for every context, so generations end (default 0).</summary>
    public double EndOfSequenceLogitBias { get; init; }

    /// <summary>
    /// When set, the target's EOS logit is a constant (no context dependence) calibrated to give EOS this mean
    /// probability per token (e.g. 0.005: about one answer in 200 tokens ends by itself), whatever the vocabulary
    /// size and entropy; <see cref="EndOfSequenceLogitBias"/> is then ignored.
    /// </summary>
    public double? EndOfSequenceProbability { get; init; }

    /// <summary>Synthetic vocabulary only: whether to add ChatML control tokens and a ChatML <c>tokenizer.chat_template</c> (EOS becomes <c>&lt;|im_end|&gt;</c>). A tokenizer brings its own template.</summary>
    public bool ChatTemplate { get; init; }

    /// <summary>Trained context length written to the file (default 4096).</summary>
    public int ContextLength { get; init; } = 4096;

    /// <summary>Number of target-sampled contexts used to calibrate the agreement (default 1024).</summary>
    public int CalibrationSamples { get; init; } = 1024;

    /// <summary>Seed: the same options give byte-identical files.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Written to general.name (with "-target" / "-draft").</summary>
    public string Name { get; init; } = "specai-forge";

    /// <summary>The default benchmark family: vocabulary 32,000, target 768x8, draft 128x2, agreement 0.8.</summary>
    public static LlamaFamilyOptions Default { get; } = new();

    /// <summary>A tiny chat-capable family (vocabulary 512, ChatML template, F32 weights) for fast chat-client tests.</summary>
    public static LlamaFamilyOptions ChatTiny { get; } = new()
    {
        VocabularySize = 512,
        Target = new(64, 2, 128, 2),
        Draft = new(32, 1, 64, 1),
        Agreement = 0.8,
        WeightType = GgufTensorType.F32,
        EndOfSequenceLogitBias = 4.0,
        ChatTemplate = true,
        ContextLength = 2048,
        Name = "specai-chat-tiny",
    };

    /// <summary>The rank of the shared bigram table actually used.</summary>
    public int EffectiveBigramRank => BigramRank ?? Draft.EmbeddingLength / 2;

    /// <summary>
    /// A file-name-safe summary of every option (used by the cache); tokenizers enter as a fingerprint of their
    /// files' contents.
    /// </summary>
    public string Describe()
    {
        string text = string.Create(CultureInfo.InvariantCulture,
            $"v{VocabularySize?.ToString(CultureInfo.InvariantCulture) ?? (TokenizerPath is null ? "32000" : "tok")}-t{Shape(Target)}-d{Shape(Draft)}-a{Agreement:0.###}-h{TargetEntropy:0.##}-r{EffectiveBigramRank}-{WeightType}-res{ResidualScale:0.####}-eos{EndOfSequenceLogitBias:0.##}-{(ChatTemplate ? "chatml" : "plain")}-c{ContextLength}-n{CalibrationSamples}-s{Seed}");
        if (TokenizerPath is null && DraftVocabularySize is null && UnsampledLogit == -40 && EndOfSequenceProbability is null)
        {
            return text;
        }

        // Tokenizer families: the fingerprint of everything else keeps file names short.
        string rest = string.Create(CultureInfo.InvariantCulture,
            $"{TokenizerFingerprint.Of(TokenizerPath)}|{TokenizerFingerprint.Of(DraftTokenizerPath)}|{DraftVocabularySize}|{UnsampledLogit:R}|{EndOfSequenceProbability:R}|{string.Join(";", (AddedTokenNames ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value))}");
        return text + "-x" + TokenizerFingerprint.OfText(rest);
    }

    /// <summary>Checks every option.</summary>
    /// <exception cref="ArgumentException">An option is out of range or the shapes cannot hold the bigram table.</exception>
    public void Validate()
    {
        Target.Validate(nameof(Target));
        Draft.Validate(nameof(Draft));
        int rank = EffectiveBigramRank;
        if (rank < 2 || rank >= Draft.EmbeddingLength || rank > Target.EmbeddingLength)
        {
            throw new ArgumentException($"Bigram rank {rank} must be at least 2, below the draft width {Draft.EmbeddingLength} (the rest carries the perturbation) and at most the target width {Target.EmbeddingLength}.", nameof(BigramRank));
        }

        int minimum = TokenizerPath is null ? ForgeVocabulary.MinimumSize(ChatTemplate) : 1;
        if (VocabularySize is int v && (v < minimum || v > 300_000))
        {
            throw new ArgumentException($"VocabularySize must be {minimum}..300000, got {v}.", nameof(VocabularySize));
        }

        if (DraftVocabularySize is int dv && (dv < 1 || dv > 300_000 || (TokenizerPath is null && dv < (VocabularySize ?? 32_000))))
        {
            throw new ArgumentException($"DraftVocabularySize {dv} must be in 1..300000 and, for the synthetic vocabulary, at least VocabularySize (the draft is padded).", nameof(DraftVocabularySize));
        }

        if (DraftTokenizerPath is not null && TokenizerPath is null)
        {
            throw new ArgumentException("DraftTokenizerPath needs TokenizerPath: a synthetic target shares no token texts with a real tokenizer.", nameof(DraftTokenizerPath));
        }

        if (!(Agreement > 0 && Agreement <= 1) || !(TargetEntropy > 0 && TargetEntropy < Math.Log(VocabularySize ?? (TokenizerPath is null ? 32_000 : 1_000)))
            || !(ResidualScale >= 0) || double.IsNaN(EndOfSequenceLogitBias) || ContextLength < 16 || CalibrationSamples < 16 || !(UnsampledLogit <= 0)
            || EndOfSequenceProbability is double p && !(p > 0 && p < 1))
        {
            throw new ArgumentException("Agreement must be in (0, 1], TargetEntropy in (0, ln V), ResidualScale >= 0, ContextLength >= 16, CalibrationSamples >= 16, UnsampledLogit <= 0, EndOfSequenceProbability in (0, 1).");
        }

        if (!Quantization.GgufQuantizer.CanQuantize(WeightType))
        {
            throw new ArgumentException($"WeightType {WeightType} cannot be written.", nameof(WeightType));
        }
    }

    private static string Shape(LlamaModelShape s) => $"{s.EmbeddingLength}x{s.BlockCount}f{s.FeedForwardLength}h{s.HeadCount}k{s.HeadCountKv ?? s.HeadCount}";
}
