using SpecAI.Extensions.Gguf.Quantization;

namespace SpecAI.Extensions.Gguf;

/// <summary>A tensor with its raw bytes in ggml layout.</summary>
public sealed class GgufTensor
{
    /// <summary>Creates a tensor from raw bytes already in the layout of <paramref name="info"/>'s type.</summary>
    /// <exception cref="ArgumentException">The byte count does not match the type and shape.</exception>
    public GgufTensor(GgufTensorInfo info, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (data.Length != info.ByteCount)
        {
            throw new ArgumentException($"Tensor '{info.Name}' ({info.Type}, [{string.Join(", ", info.Shape)}]) needs {info.ByteCount} bytes, got {data.Length}.", nameof(data));
        }

        Info = info;
        Data = data;
    }

    /// <summary>Name, type and shape.</summary>
    public GgufTensorInfo Info { get; }

    /// <summary>The tensor's name.</summary>
    public string Name => Info.Name;

    /// <summary>The element type.</summary>
    public GgufTensorType Type => Info.Type;

    /// <summary>Dimensions in ggml order (ne0, the row length, first).</summary>
    public IReadOnlyList<long> Shape => Info.Shape;

    /// <summary>The raw bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Quantizes <paramref name="values"/> (row-major, ne0 fastest) into a new tensor of <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">The value count does not match the shape, or ne0 is not a multiple of the type's block length.</exception>
    /// <exception cref="NotSupportedException">The type cannot be quantized here.</exception>
    public static GgufTensor FromFloats(string name, GgufTensorType type, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        var info = new GgufTensorInfo(name, type, shape);
        if (values.Length != info.ElementCount)
        {
            throw new ArgumentException($"Tensor '{name}' of shape [{string.Join(", ", shape)}] needs {info.ElementCount} values, got {values.Length}.", nameof(values));
        }

        _ = info.ByteCount; // validates the row length against the block length
        return new GgufTensor(info, GgufQuantizer.Quantize(values, type));
    }

    /// <summary>The values as floats (F32, F16, BF16, Q8_0 and Q4_0 only).</summary>
    /// <exception cref="NotSupportedException">The type cannot be dequantized here.</exception>
    public float[] ToFloats()
    {
        var result = new float[Info.ElementCount];
        GgufQuantizer.Dequantize(Data.Span, Type, result);
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => Info.ToString();
}
