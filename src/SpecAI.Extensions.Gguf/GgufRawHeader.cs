namespace SpecAI.Extensions.Gguf;

/// <summary>A parsed header before its tensors are matched to the types this library can decode.</summary>
internal sealed record GgufRawHeader(
    uint Version,
    IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata,
    IReadOnlyList<GgufRawTensor> Tensors,
    int Alignment,
    long DataStart,
    long FileLength);
