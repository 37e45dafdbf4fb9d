using LLama.Native;
using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.Backend;

/// <summary>Embedding input for Superposed Decoding: token rows from the GGUF, one superposed vector decoded per call.</summary>
public sealed partial class LLamaModelSession
{
    /// <inheritdoc />
    public int EmbeddingLength => EmbeddingInput.Width;

    /// <inheritdoc />
    public void TokenEmbedding(int token, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(token, VocabularySize);
        EmbeddingInput.Row(token, destination);
    }

    /// <inheritdoc />
    public void DecodeEmbedding(ReadOnlySpan<float> embedding, int sequence, int position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (embedding.Length != EmbeddingLength || (uint)sequence >= (uint)MaxSequences)
        {
            throw new ArgumentException($"Need {EmbeddingLength} values and a sequence id in 0..{MaxSequences - 1}.", nameof(embedding));
        }

        var result = EmbeddingInput.Decode(Context.NativeHandle, embedding, sequence, position);
        if (result == DecodeResult.NoKvSlot)
        {
            throw new KvCacheFullException($"The KV cache of '{ModelName}' has no room for an embedding input.");
        }

        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp decode of an embedding input failed on '{ModelName}': {result}.");
        }
    }

    private TokenEmbeddingInput EmbeddingInput
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _embeddingInput ??= TokenEmbeddingInput.Open(Path, Architecture, VocabularySize, Weights.EmbeddingSize, ModelName);
        }
    }
}
