namespace SpecAI.Extensions.Gguf;

/// <summary>Block sizes of the tensor types this library knows.</summary>
public static class GgufTensorTypeInfo
{
    /// <summary>Number of values in one block (1 for plain types, 32 for the block quantizations).</summary>
    /// <exception cref="NotSupportedException">The type is not one of <see cref="GgufTensorType"/>'s members.</exception>
    public static int BlockLength(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 or GgufTensorType.F16 or GgufTensorType.BF16
            or GgufTensorType.I8 or GgufTensorType.I16 or GgufTensorType.I32 => 1,
        GgufTensorType.Q4_0 or GgufTensorType.Q4_1 or GgufTensorType.Q5_0
            or GgufTensorType.Q5_1 or GgufTensorType.Q8_0 => 32,
        _ => throw new NotSupportedException($"Unknown ggml tensor type {(uint)type}."),
    };

    /// <summary>Number of bytes one block takes.</summary>
    /// <exception cref="NotSupportedException">The type is not one of <see cref="GgufTensorType"/>'s members.</exception>
    public static int BlockBytes(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 or GgufTensorType.I32 => 4,
        GgufTensorType.F16 or GgufTensorType.BF16 or GgufTensorType.I16 => 2,
        GgufTensorType.I8 => 1,
        GgufTensorType.Q4_0 => 18,
        GgufTensorType.Q4_1 => 20,
        GgufTensorType.Q5_0 => 22,
        GgufTensorType.Q5_1 => 24,
        GgufTensorType.Q8_0 => 34,
        _ => throw new NotSupportedException($"Unknown ggml tensor type {(uint)type}."),
    };

    /// <summary>Whether the type is a known member of <see cref="GgufTensorType"/>.</summary>
    public static bool IsKnown(GgufTensorType type) => Enum.IsDefined(type);

    /// <summary>Bytes taken by a tensor of <paramref name="elementCount"/> values whose rows are <paramref name="rowLength"/> long.</summary>
    /// <exception cref="ArgumentException">The row length is not a multiple of the type's block length.</exception>
    public static long ByteCount(GgufTensorType type, long rowLength, long elementCount)
    {
        int block = BlockLength(type);
        if (rowLength % block != 0)
        {
            throw new ArgumentException($"Row length {rowLength} is not a multiple of {type}'s block length {block}.", nameof(rowLength));
        }

        return elementCount / block * BlockBytes(type);
    }
}
