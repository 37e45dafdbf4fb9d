using System.Buffers.Binary;

namespace SpecAI.Extensions.Gguf.Quantization;

/// <summary>Converts floats to and from ggml's F32, F16, Q8_0 and Q4_0 layouts (and reads BF16).</summary>
public static class GgufQuantizer
{
    /// <summary>Whether <see cref="Quantize"/> can produce <paramref name="type"/>.</summary>
    public static bool CanQuantize(GgufTensorType type) =>
        type is GgufTensorType.F32 or GgufTensorType.F16 or GgufTensorType.Q8_0 or GgufTensorType.Q4_0;

    /// <summary>Whether <see cref="Dequantize"/> can read <paramref name="type"/>.</summary>
    public static bool CanDequantize(GgufTensorType type) => CanQuantize(type) || type == GgufTensorType.BF16;

    /// <summary>Encodes <paramref name="values"/> as <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">The count is not a multiple of the type's block length.</exception>
    /// <exception cref="NotSupportedException">The type cannot be quantized here.</exception>
    public static byte[] Quantize(ReadOnlySpan<float> values, GgufTensorType type)
    {
        if (!CanQuantize(type))
        {
            throw new NotSupportedException($"Quantizing to {type} is not supported (F32, F16, Q8_0 and Q4_0 are).");
        }

        int blockLength = GgufTensorTypeInfo.BlockLength(type);
        if (values.Length % blockLength != 0)
        {
            throw new ArgumentException($"{type} needs a multiple of {blockLength} values, got {values.Length}.", nameof(values));
        }

        var bytes = new byte[values.Length / blockLength * GgufTensorTypeInfo.BlockBytes(type)];
        switch (type)
        {
            case GgufTensorType.F32:
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                }

                break;
            case GgufTensorType.F16:
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                }

                break;
            case GgufTensorType.Q8_0:
                Q8_0Codec.Quantize(values, bytes);
                break;
            default:
                Q4_0Codec.Quantize(values, bytes);
                break;
        }

        return bytes;
    }

    /// <summary>Decodes <paramref name="data"/> of <paramref name="type"/> into <paramref name="destination"/> (its length is the value count).</summary>
    /// <exception cref="ArgumentException">The byte count does not match the value count.</exception>
    /// <exception cref="NotSupportedException">The type cannot be dequantized here.</exception>
    public static void Dequantize(ReadOnlySpan<byte> data, GgufTensorType type, Span<float> destination)
    {
        if (!CanDequantize(type))
        {
            throw new NotSupportedException($"Dequantizing {type} is not supported (F32, F16, BF16, Q8_0 and Q4_0 are).");
        }

        int blockLength = GgufTensorTypeInfo.BlockLength(type);
        if (destination.Length % blockLength != 0 || data.Length != destination.Length / blockLength * GgufTensorTypeInfo.BlockBytes(type))
        {
            throw new ArgumentException($"{data.Length} bytes of {type} do not hold {destination.Length} values.", nameof(data));
        }

        switch (type)
        {
            case GgufTensorType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                }

                break;
            case GgufTensorType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                }

                break;
            case GgufTensorType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]) << 16);
                }

                break;
            case GgufTensorType.Q8_0:
                Q8_0Codec.Dequantize(data, destination);
                break;
            default:
                Q4_0Codec.Dequantize(data, destination);
                break;
        }
    }
}
