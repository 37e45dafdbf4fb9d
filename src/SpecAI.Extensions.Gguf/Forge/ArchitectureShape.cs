namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>The size of one model written by <see cref="ArchitectureGgufBuilder"/>; the fields an architecture does not use are ignored.</summary>
/// <param name="Width">Residual stream width (n_embd).</param>
/// <param name="Blocks">Number of blocks.</param>
/// <param name="FeedForward">Hidden width of the dense SwiGLU/GeGLU feed-forward network.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="KvHeads">Key/value heads of the attention layers.</param>
/// <param name="HeadLength">Width of one attention head.</param>
internal sealed record ArchitectureShape(int Width, int Blocks, int FeedForward, int Heads, int KvHeads, int HeadLength)
{
    /// <summary>qwen35: every this many blocks one is full attention (the others Gated DeltaNet), as Qwen3.5.</summary>
    public int FullAttentionInterval { get; init; } = 4;

    /// <summary>qwen35: DeltaNet key heads (<c>ssm.group_count</c>).</summary>
    public int KeyHeads { get; init; }

    /// <summary>qwen35: DeltaNet value heads (<c>ssm.time_step_rank</c>), a multiple of <see cref="KeyHeads"/>.</summary>
    public int ValueHeads { get; init; }

    /// <summary>qwen35: width of one DeltaNet key/value head (<c>ssm.state_size</c>).</summary>
    public int StateSize { get; init; }

    /// <summary>qwen35: causal convolution length over q, k, v (<c>ssm.conv_kernel</c>); lfm2: the short convolution's (<c>shortconv.l_cache</c>).</summary>
    public int ConvKernel { get; init; } = 4;

    /// <summary>lfm2: the blocks that are attention (the others short convolutions).</summary>
    public IReadOnlyList<int> AttentionBlocks { get; init; } = [];

    /// <summary>gemma3: sliding window of the local layers (llama.cpp makes every 6th block global).</summary>
    public int SlidingWindow { get; init; }

    /// <summary>qwen3moe: number of experts.</summary>
    public int Experts { get; init; }

    /// <summary>qwen3moe: experts used per token.</summary>
    public int ExpertsUsed { get; init; }

    /// <summary>qwen3moe: hidden width of one expert.</summary>
    public int ExpertFeedForward { get; init; }

    /// <summary>qwen35: whether block <paramref name="block"/> is a Gated DeltaNet (recurrent) block.</summary>
    public bool IsDeltaNet(int block) => (block + 1) % FullAttentionInterval != 0;
}
