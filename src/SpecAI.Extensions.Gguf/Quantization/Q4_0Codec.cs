using System.Buffers.Binary;

namespace SpecAI.Extensions.Gguf.Quantization;

/// <summary>
/// ggml's Q4_0: blocks of 32 values; <c>d = m / -8</c> where m is the value with the largest magnitude,
/// <c>q = clamp((int)(x / d + 8.5), 0, 15)</c>; 18 bytes: fp16 d, then byte j holds q[j] (low nibble) and q[j + 16] (high nibble).
/// </summary>
internal static class Q4_0Codec
{
    public const int BlockLength = 32;
    public const int BlockBytes = 18;

    public static void Quantize(ReadOnlySpan<float> values, Span<byte> destination)
    {
        Span<int> q = stackalloc int[BlockLength];
        for (int b = 0; b < values.Length / BlockLength; b++)
        {
            ReadOnlySpan<float> x = values.Slice(b * BlockLength, BlockLength);
            Span<byte> block = destination.Slice(b * BlockBytes, BlockBytes);
            float amax = 0, max = 0;
            foreach (float v in x)
            {
                if (MathF.Abs(v) > amax)
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }

            // The signed extreme maps to q = 0 exactly, so the full range -8..7 is used.
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (int j = 0; j < BlockLength; j++)
            {
                q[j] = Math.Clamp((int)(x[j] * id + 8.5f), 0, 15);
            }

            for (int j = 0; j < BlockLength / 2; j++)
            {
                block[2 + j] = (byte)(q[j] | (q[j + 16] << 4));
            }
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> data, Span<float> destination)
    {
        for (int b = 0; b < destination.Length / BlockLength; b++)
        {
            ReadOnlySpan<byte> block = data.Slice(b * BlockBytes, BlockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            Span<float> y = destination.Slice(b * BlockLength, BlockLength);
            for (int j = 0; j < BlockLength / 2; j++)
            {
                y[j] = ((block[2 + j] & 0x0F) - 8) * d;
                y[j + 16] = ((block[2 + j] >> 4) - 8) * d;
            }
        }
    }
}
