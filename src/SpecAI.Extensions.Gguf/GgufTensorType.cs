namespace SpecAI.Extensions.Gguf;

/// <summary>ggml tensor element types with the numbers ggml stores in GGUF files.</summary>
/// <remarks>
/// Only <see cref="F32"/>, <see cref="F16"/>, <see cref="Q8_0"/> and <see cref="Q4_0"/> can be
/// quantized and dequantized here; the other listed types are carried as raw bytes.
/// </remarks>
public enum GgufTensorType : uint
{
    /// <summary>32-bit float.</summary>
    F32 = 0,
    /// <summary>IEEE half precision float.</summary>
    F16 = 1,
    /// <summary>Blocks of 32: fp16 scale, 16 bytes of 4-bit values (offset 8).</summary>
    Q4_0 = 2,
    /// <summary>Blocks of 32: fp16 scale, fp16 minimum, 16 bytes of 4-bit values.</summary>
    Q4_1 = 3,
    /// <summary>Blocks of 32: fp16 scale, 4 bytes of high bits, 16 bytes of 4-bit values.</summary>
    Q5_0 = 6,
    /// <summary>Blocks of 32: fp16 scale and minimum, 4 bytes of high bits, 16 bytes of 4-bit values.</summary>
    Q5_1 = 7,
    /// <summary>Blocks of 32: fp16 scale, 32 signed bytes.</summary>
    Q8_0 = 8,
    /// <summary>8-bit signed integer.</summary>
    I8 = 24,
    /// <summary>16-bit signed integer.</summary>
    I16 = 25,
    /// <summary>32-bit signed integer.</summary>
    I32 = 26,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
}
