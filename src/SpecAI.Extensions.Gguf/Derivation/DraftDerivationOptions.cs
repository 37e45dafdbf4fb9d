namespace SpecAI.Extensions.Gguf.Derivation;

/// <summary>How <see cref="DraftDerivation"/> turns a model into a draft.</summary>
public sealed record DraftDerivationOptions
{
    /// <summary>Requested weight type for matrices (1-D tensors stay as they are). Default <see cref="DraftQuantization.None"/>.</summary>
    public DraftQuantization Quantize { get; init; } = DraftQuantization.None;

    /// <summary>Keep only the first N transformer blocks (and rewrite the block count); null keeps all.</summary>
    public int? Layers { get; init; }
}
