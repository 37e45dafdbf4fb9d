using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>What <see cref="LlamaModelForge"/> builds: a target and a draft with one vocabulary and controlled agreement.</summary>
public sealed record LlamaFamilyOptions
{
    /// <summary>Number of tokens (default 32,000).</summary>
    public int VocabularySize { get; init; } = 32_000;

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

    /// <summary>Whether to add ChatML control tokens and a ChatML <c>tokenizer.chat_template</c> (EOS becomes <c>&lt;|im_end|&gt;</c>).</summary>
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

    /// <summary>A file-name-safe summary of every option (used by the cache).</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"v{VocabularySize}-t{Shape(Target)}-d{Shape(Draft)}-a{Agreement:0.###}-h{TargetEntropy:0.##}-r{EffectiveBigramRank}-{WeightType}-res{ResidualScale:0.####}-eos{EndOfSequenceLogitBias:0.##}-{(ChatTemplate ? "chatml" : "plain")}-c{ContextLength}-n{CalibrationSamples}-s{Seed}");

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

        if (VocabularySize < ForgeVocabulary.MinimumSize(ChatTemplate) || VocabularySize > 200_000)
        {
            throw new ArgumentException($"VocabularySize must be {ForgeVocabulary.MinimumSize(ChatTemplate)}..200000, got {VocabularySize}.", nameof(VocabularySize));
        }

        if (!(Agreement > 0 && Agreement <= 1) || !(TargetEntropy > 0 && TargetEntropy < Math.Log(VocabularySize))
            || !(ResidualScale >= 0) || double.IsNaN(EndOfSequenceLogitBias) || ContextLength < 16 || CalibrationSamples < 16)
        {
            throw new ArgumentException("Agreement must be in (0, 1], TargetEntropy in (0, ln V), ResidualScale >= 0, ContextLength >= 16, CalibrationSamples >= 16.");
        }

        if (!Quantization.GgufQuantizer.CanQuantize(WeightType))
        {
            throw new ArgumentException($"WeightType {WeightType} cannot be written.", nameof(WeightType));
        }
    }

    private static string Shape(LlamaModelShape s) => $"{s.EmbeddingLength}x{s.BlockCount}f{s.FeedForwardLength}h{s.HeadCount}k{s.HeadCountKv ?? s.HeadCount}";
}
