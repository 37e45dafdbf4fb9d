namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>The files of a target/draft pair written by <see cref="ArchitectureForge"/>.</summary>
public sealed record ForgedArchitecturePair
{
    /// <summary>The GGUF architecture of both models (<c>general.architecture</c>), e.g. <c>qwen35</c>.</summary>
    public required string Architecture { get; init; }

    /// <summary>Path of the target model.</summary>
    public required string TargetPath { get; init; }

    /// <summary>Path of the draft model (same architecture and vocabulary, smaller).</summary>
    public required string DraftPath { get; init; }

    /// <summary>Number of tokens of both models (padding included).</summary>
    public required int VocabularySize { get; init; }

    /// <summary>Sliding-window length of the local attention layers (<c>gemma3</c>); null for architectures without one.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Greedy agreement of the shared bigram table (see <see cref="ForgedFamily.CalibratedAgreement"/>); the random blocks move the models' own agreement a little below it.</summary>
    public required double CalibratedAgreement { get; init; }

    /// <summary>The options the pair was written from.</summary>
    public required ArchitectureForgeOptions Options { get; init; }
}
