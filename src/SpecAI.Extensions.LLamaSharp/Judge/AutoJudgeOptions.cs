namespace SpecAI.Extensions.Judge;

/// <summary>Settings of <see cref="AutoJudgeLabeler"/>.</summary>
public sealed record AutoJudgeOptions
{
    /// <summary>Length of the target's greedy answer mined per prompt (default 64).</summary>
    public int TokensPerPrompt { get; init; } = 64;

    /// <summary>Decides whether a mismatching draft token is acceptable; null uses <see cref="GreedyContinuationEquivalence"/> with <see cref="ContinuationTokens"/>.</summary>
    public IJudgeEquivalenceCheck? EquivalenceCheck { get; init; }

    /// <summary>N of the default check: continuation tokens that must agree (default 4).</summary>
    public int ContinuationTokens { get; init; } = 4;

    /// <summary>CPU threads of the draft model; 0 = llama.cpp's default.</summary>
    public int Threads { get; init; }
}
