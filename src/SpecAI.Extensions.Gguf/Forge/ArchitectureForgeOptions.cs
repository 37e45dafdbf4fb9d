using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>What <see cref="ArchitectureForge"/> builds: the vocabulary, the size and the seed of a target/draft pair.</summary>
public record ArchitectureForgeOptions
{
    /// <summary>
    /// Number of tokens. Synthetic vocabulary: its size (default 512 at <see cref="ForgeFamilyScale.Test"/>, 32,000 at
    /// <see cref="ForgeFamilyScale.Bench"/>; above 200,000 the synthetic tokens are padded with unused ones, e.g. 248,320
    /// for Qwen3.5's size). With <see cref="TokenizerPath"/>: the tokenizer padded to this size; default its own count.
    /// </summary>
    public int? VocabularySize { get; init; }

    /// <summary>Model sizes: <see cref="ForgeFamilyScale.Test"/> (width 64 target, 32 draft, F32 weights; default) or <see cref="ForgeFamilyScale.Bench"/> (width 512 target, 128 draft, Q8_0 weights).</summary>
    public ForgeFamilyScale Scale { get; init; } = ForgeFamilyScale.Test;

    /// <summary>A Hugging Face byte-level BPE <c>tokenizer.json</c> (with <c>tokenizer_config.json</c> beside it) the models carry; null for the synthetic ChatML vocabulary.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Seed: the same options give byte-identical files.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Greedy top-1 agreement of draft and target the shared bigram table is calibrated for, in (0, 1] (default 0.8); the random blocks lower the measured agreement a little.</summary>
    public double Agreement { get; init; } = 0.8;

    /// <summary>The vocabulary size used when <see cref="VocabularySize"/> is null and there is no tokenizer.</summary>
    public int SyntheticVocabularySize => VocabularySize ?? (Scale == ForgeFamilyScale.Test ? 512 : 32_000);

    /// <summary>Checks every option.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="FileNotFoundException">The tokenizer file is missing.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Scale))
        {
            throw new ArgumentException($"Scale must be Test or Bench, got {Scale}.", nameof(Scale));
        }

        int minimum = TokenizerPath is null ? ForgeVocabulary.MinimumSize(chatMl: true) : 1;
        if (VocabularySize is int v && (v < minimum || v > 300_000))
        {
            throw new ArgumentException($"VocabularySize must be {minimum}..300000, got {v}.", nameof(VocabularySize));
        }

        if (!(Agreement > 0 && Agreement <= 1))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Agreement must be in (0, 1], got {Agreement}."), nameof(Agreement));
        }

        if (TokenizerPath is not null && !File.Exists(TokenizerPath))
        {
            throw new FileNotFoundException($"Tokenizer file '{TokenizerPath}' not found.", TokenizerPath);
        }
    }

    /// <summary>A summary of every option (tokenizers by a fingerprint of their contents): equal summaries give equal files.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"v{VocabularySize?.ToString(CultureInfo.InvariantCulture) ?? "default"}-{Scale}-tok{(TokenizerPath is null ? "none" : TokenizerFingerprint.Of(TokenizerPath))}-s{Seed}-a{Agreement:R}");
}
