namespace SpecAI.Extensions.Judge;

/// <summary>Settings of <see cref="JudgeEvaluator"/>: which models, head and data, and how much to generate.</summary>
public sealed record JudgeEvaluationOptions
{
    /// <summary>Target GGUF.</summary>
    public required string TargetModelPath { get; init; }

    /// <summary>Draft GGUF (same vocabulary).</summary>
    public required string DraftModelPath { get; init; }

    /// <summary>The judge head file.</summary>
    public required string HeadPath { get; init; }

    /// <summary>Labelled rows; their held-out share supplies the prompts and the labelled spans.</summary>
    public required IReadOnlyList<JudgeLabelledResponse> Rows { get; init; }

    /// <summary>Thresholds to sweep; 1 (never judge) and the head's default are always added. Null: 0, 0.1, ..., 1.</summary>
    public IReadOnlyList<double>? Thresholds { get; init; }

    /// <summary>Share of rows held out, with the same rule and seed as <c>specai judge train</c> (default 0.2); 1 uses every row.</summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Seed of the held-out split (default 0, as in training).</summary>
    public long SplitSeed { get; init; }

    /// <summary>Most held-out prompts used; null for all.</summary>
    public int? MaxPrompts { get; init; }

    /// <summary>Generations per prompt and setting (seeds 0..n-1, the same for every threshold; default 4).</summary>
    public int SamplesPerPrompt { get; init; } = 4;

    /// <summary>Tokens per generation (default 64).</summary>
    public int MaxTokens { get; init; } = 64;

    /// <summary>Sampling temperature (default 1, the target's own distribution).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Draft length (default 4).</summary>
    public int DraftLength { get; init; } = 4;

    /// <summary>Most tokens the judge may keep per step; null for no limit.</summary>
    public int? MaxJudgedTokensPerStep { get; init; }

    /// <summary>Context size (default 1024).</summary>
    public int ContextSize { get; init; } = 1024;

    /// <summary>CPU threads; 0 = llama.cpp's default.</summary>
    public int Threads { get; init; }
}
