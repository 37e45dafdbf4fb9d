namespace SpecAI.Extensions.Engine;

/// <summary>Why the engine ended a generation (decided in its commit, token by token).</summary>
public enum GenerationStopReason
{
    /// <summary>Not ended by the engine (still running, cancelled or failed).</summary>
    None,

    /// <summary>A stop token (<see cref="GenerationSettings.StopTokens"/>, end-of-generation) was committed; it is the last token.</summary>
    EndOfGeneration,

    /// <summary>The committed text completed one of <see cref="GenerationSettings.StopSequences"/>.</summary>
    StopSequence,

    /// <summary><see cref="GenerationSettings.MaxTokens"/> tokens were generated.</summary>
    MaxTokens,

    /// <summary>The request's share of the context is full.</summary>
    ContextFull,
}
