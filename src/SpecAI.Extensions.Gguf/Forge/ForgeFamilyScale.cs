namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>Model shapes of a named family in <see cref="ForgeFamilies"/>.</summary>
public enum ForgeFamilyScale
{
    /// <summary>Tiny and exact for tests: target width 64 x 2 blocks, draft 32 x 1, F16 weights (speculative greedy equals plain greedy).</summary>
    Test,

    /// <summary>The benchmark shapes of <see cref="LlamaFamilyOptions.Default"/>: target 768 x 8, draft 128 x 2, Q8_0 weights.</summary>
    Bench,
}
