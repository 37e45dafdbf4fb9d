namespace SpecAI.Extensions.Engine;

/// <summary>
/// A model session that also takes an input embedding vector instead of a token (llama.cpp's <c>batch.embd</c>):
/// what Superposed Decoding feeds. Kept apart from <see cref="IModelSession"/> so sessions that cannot (or fakes
/// that need not) stay as they are.
/// </summary>
/// <remarks>
/// <see cref="TokenEmbedding"/> must return the vector the model's graph would take in for a token, so that decoding
/// it equals decoding the token. After <see cref="DecodeEmbedding"/> the logits are at batch index 0 of
/// <see cref="IModelSession.GetLogits"/>.
/// </remarks>
internal interface IEmbeddingInputSession
{
    /// <summary>Length of one input embedding (the model's width).</summary>
    /// <exception cref="EmbeddingInputNotSupportedException">The model cannot take embeddings as input here.</exception>
    int EmbeddingLength { get; }

    /// <summary>Writes the input embedding of <paramref name="token"/>.</summary>
    /// <param name="token">A token id.</param>
    /// <param name="destination">Receives <see cref="EmbeddingLength"/> values.</param>
    /// <exception cref="EmbeddingInputNotSupportedException">The model cannot take embeddings as input here.</exception>
    void TokenEmbedding(int token, Span<float> destination);

    /// <summary>Decodes one input embedding at <paramref name="position"/> of <paramref name="sequence"/>, with logits.</summary>
    /// <param name="embedding">The vector (<see cref="EmbeddingLength"/> values).</param>
    /// <param name="sequence">The sequence id.</param>
    /// <param name="position">Its position (continues the sequence).</param>
    /// <exception cref="KvCacheFullException">The KV cache has no room; nothing was decoded.</exception>
    /// <exception cref="EmbeddingInputNotSupportedException">The model cannot take embeddings as input here.</exception>
    void DecodeEmbedding(ReadOnlySpan<float> embedding, int sequence, int position);
}
