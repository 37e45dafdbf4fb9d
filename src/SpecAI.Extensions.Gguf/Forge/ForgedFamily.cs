namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>The files of a forged target/draft family and what calibration measured.</summary>
public sealed record ForgedFamily
{
    /// <summary>Path of the target model.</summary>
    public required string TargetPath { get; init; }

    /// <summary>Path of the draft model.</summary>
    public required string DraftPath { get; init; }

    /// <summary>The options the family was built from.</summary>
    public required LlamaFamilyOptions Options { get; init; }

    /// <summary>Number of tokens in the target's vocabulary (padding included).</summary>
    public required int TargetVocabularySize { get; init; }

    /// <summary>Number of tokens in the draft's vocabulary (padding included).</summary>
    public required int DraftVocabularySize { get; init; }

    /// <summary>
    /// Greedy top-1 agreement measured in managed code on the (unquantized) bigram tables over
    /// <see cref="LlamaFamilyOptions.CalibrationSamples"/> contexts drawn by sampling the target at T = 1 from BOS
    /// (with different tokenizers: per target token, the draft restricted to the tokens it shares).
    /// </summary>
    public required double CalibratedAgreement { get; init; }

    /// <summary>Mean entropy (nats) of the target's next-token distribution over the same contexts.</summary>
    public required double MeanTargetEntropy { get; init; }

    /// <summary>Mean probability the target gives the end-of-sequence token over the same contexts.</summary>
    public required double MeanEndOfSequenceProbability { get; init; }

    /// <summary>Target weight multiply-accumulates per token divided by the draft's.</summary>
    public double CostRatio => (double)Options.Target.MacsPerToken(TargetVocabularySize) / Options.Draft.MacsPerToken(DraftVocabularySize);
}
