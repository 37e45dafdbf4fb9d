namespace SpecAI.Extensions.Gguf.Derivation;

/// <summary>What <see cref="DraftDerivation.Derive"/> wrote.</summary>
/// <param name="BlockCount">Transformer blocks in the derived model.</param>
/// <param name="TensorTypes">The type each written tensor has, by name (shows where quantization fell back).</param>
public sealed record DraftDerivationResult(int BlockCount, IReadOnlyDictionary<string, GgufTensorType> TensorTypes);
