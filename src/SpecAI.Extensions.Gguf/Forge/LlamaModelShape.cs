namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>The size of one forged llama model.</summary>
/// <param name="EmbeddingLength">Width of the residual stream (n_embd).</param>
/// <param name="BlockCount">Number of transformer blocks.</param>
/// <param name="FeedForwardLength">Hidden width of the SwiGLU feed-forward network.</param>
/// <param name="HeadCount">Attention heads; EmbeddingLength must be a multiple of it and the head size even.</param>
public sealed record LlamaModelShape(int EmbeddingLength, int BlockCount, int FeedForwardLength, int HeadCount)
{
    /// <summary>Key/value heads (grouped-query attention); defaults to <see cref="HeadCount"/>.</summary>
    public int? HeadCountKv { get; init; }

    /// <summary>Width of one attention head.</summary>
    public int HeadLength => EmbeddingLength / HeadCount;

    /// <summary>Multiply-accumulates of the weight matrices per token, the LM head included (attention scores excluded).</summary>
    public long MacsPerToken(int vocabularySize)
    {
        long n = EmbeddingLength, kv = (long)(HeadCountKv ?? HeadCount) * HeadLength;
        long perBlock = (2 * n * n) + (2 * n * kv) + (3 * n * FeedForwardLength);
        return (BlockCount * perBlock) + (n * vocabularySize);
    }

    /// <summary>Checks the shape can be written as a llama.cpp model.</summary>
    /// <exception cref="ArgumentException">A dimension is not positive, or the heads do not divide the width into even head sizes.</exception>
    public void Validate(string paramName)
    {
        int kv = HeadCountKv ?? HeadCount;
        if (EmbeddingLength <= 0 || BlockCount <= 0 || FeedForwardLength <= 0 || HeadCount <= 0 || kv <= 0
            || EmbeddingLength % HeadCount != 0 || HeadLength % 2 != 0 || HeadCount % kv != 0)
        {
            throw new ArgumentException($"Invalid llama shape {this}: sizes must be positive, the width a multiple of the heads, the head size even, and the heads a multiple of the KV heads.", paramName);
        }
    }
}
