using System.Buffers.Binary;

namespace SpecAI.Extensions.Gguf.Quantization;

/// <summary>ggml's Q8_0: blocks of 32 values, an fp16 scale <c>d = amax / 127</c>, then 32 int8 <c>q = round(x / d)</c>.</summary>
internal static class Q8_0Codec
{
    public const int BlockLength = 32;
    public const int BlockBytes = 34;

    public static void Quantize(ReadOnlySpan<float> values, Span<byte> destination)
    {
        for (int b = 0; b < values.Length / BlockLength; b++)
        {
            ReadOnlySpan<float> x = values.Slice(b * BlockLength, BlockLength);
            Span<byte> block = destination.Slice(b * BlockBytes, BlockBytes);
            float amax = 0;
            foreach (float v in x)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }

            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f; // ggml multiplies by the reciprocal; keep it bit-exact
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (int j = 0; j < BlockLength; j++)
            {
                block[2 + j] = unchecked((byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero));
            }
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> data, Span<float> destination)
    {
        for (int b = 0; b < destination.Length / BlockLength; b++)
        {
            ReadOnlySpan<byte> block = data.Slice(b * BlockBytes, BlockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            for (int j = 0; j < BlockLength; j++)
            {
                destination[b * BlockLength + j] = (sbyte)block[2 + j] * d;
            }
        }
    }
}
