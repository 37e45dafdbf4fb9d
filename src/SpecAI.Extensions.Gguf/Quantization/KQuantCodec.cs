using System.Buffers.Binary;

namespace SpecAI.Extensions.Gguf.Quantization;

/// <summary>
/// Dequantizes ggml's K-quant super-blocks of 256 values that real files store token embeddings in (Q4_K_M and
/// Q5_K_M files keep <c>token_embd</c> in Q4_K/Q5_K or Q6_K). Layouts and formulas: ggml's <c>block_q4_K</c>,
/// <c>block_q5_K</c>, <c>block_q6_K</c> and <c>dequantize_row_q*_K</c> (ggml-quants.c).
/// </summary>
internal static class KQuantCodec
{
    public const int SuperBlockLength = 256;
    public const uint Q4_K = 12;
    public const uint Q5_K = 13;
    public const uint Q6_K = 14;

    /// <summary>Bytes of one super-block, or 0 for a type not handled here.</summary>
    public static int SuperBlockBytes(uint type) => type switch
    {
        Q4_K => 144, // fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit values
        Q5_K => 176, // as Q4_K plus 32 bytes of fifth bits before the 4-bit values
        Q6_K => 210, // 128 bytes of low 4 bits, 64 of high 2 bits, 16 int8 scales, fp16 d
        _ => 0,
    };

    public static void Dequantize(uint type, ReadOnlySpan<byte> data, Span<float> destination)
    {
        int bytes = SuperBlockBytes(type);
        for (int b = 0; b < destination.Length / SuperBlockLength; b++)
        {
            var block = data.Slice(b * bytes, bytes);
            var y = destination.Slice(b * SuperBlockLength, SuperBlockLength);
            switch (type)
            {
                case Q4_K:
                    Q4OrQ5(block, ReadOnlySpan<byte>.Empty, block[16..], y);
                    break;
                case Q5_K:
                    Q4OrQ5(block, block.Slice(16, 32), block[48..], y);
                    break;
                default:
                    Q6(block, y);
                    break;
            }
        }
    }

    /// <summary>Q4_K and Q5_K: eight groups of 32 values, each with a 6-bit scale and minimum.</summary>
    private static void Q4OrQ5(ReadOnlySpan<byte> block, ReadOnlySpan<byte> fifthBits, ReadOnlySpan<byte> qs, Span<float> y)
    {
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        float dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
        var scales = block.Slice(4, 12);
        int lowBit = 1;
        for (int group = 0, at = 0; group < 8; group += 2, at += 64)
        {
            var q = qs.Slice(group * 16, 32);
            var (sc1, m1) = ScaleMin(group, scales);
            var (sc2, m2) = ScaleMin(group + 1, scales);
            for (int l = 0; l < 32; l++)
            {
                int fifthLow = fifthBits.IsEmpty ? 0 : (fifthBits[l] & lowBit) != 0 ? 16 : 0;
                int fifthHigh = fifthBits.IsEmpty ? 0 : (fifthBits[l] & (lowBit << 1)) != 0 ? 16 : 0;
                y[at + l] = (d * sc1 * ((q[l] & 0xF) + fifthLow)) - (dmin * m1);
                y[at + 32 + l] = (d * sc2 * ((q[l] >> 4) + fifthHigh)) - (dmin * m2);
            }

            lowBit <<= 2;
        }
    }

    /// <summary>ggml's <c>get_scale_min_k4</c>: 6-bit scale and minimum of group <paramref name="j"/> packed in 12 bytes.</summary>
    private static (int Scale, int Min) ScaleMin(int j, ReadOnlySpan<byte> q) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    private static void Q6(ReadOnlySpan<byte> block, Span<float> y)
    {
        var ql = block[..128];
        var qh = block.Slice(128, 64);
        var sc = block.Slice(192, 16);
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block[208..]);
        for (int half = 0; half < 2; half++)
        {
            var l4 = ql.Slice(half * 64, 64);
            var h2 = qh.Slice(half * 32, 32);
            var s = sc.Slice(half * 8, 8);
            var o = y.Slice(half * 128, 128);
            for (int l = 0; l < 32; l++)
            {
                int group = l / 16;
                int q1 = ((l4[l] & 0xF) | (((h2[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((l4[l + 32] & 0xF) | (((h2[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((l4[l] >> 4) | (((h2[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((l4[l + 32] >> 4) | (((h2[l] >> 6) & 3) << 4)) - 32;
                o[l] = d * (sbyte)s[group] * q1;
                o[l + 32] = d * (sbyte)s[group + 2] * q2;
                o[l + 64] = d * (sbyte)s[group + 4] * q3;
                o[l + 96] = d * (sbyte)s[group + 6] * q4;
            }
        }
    }
}
