using System.Buffers.Binary;
using SpecAI.Extensions.Gguf.Quantization;

namespace SpecAI.Extensions.Gguf.Tests;

public class QuantizationTests
{
    [Fact]
    public void Q8_0_HandComputedBlock_HasGgmlLayout()
    {
        // amax = 2.54 -> d = 0.02; q = round(x / d), halves away from zero.
        float[] x = new float[32];
        x[0] = 2.54f;
        x[1] = -1.27f;
        x[2] = 0.03f;   // 1.5 -> 2
        x[3] = -0.03f;  // -1.5 -> -2
        x[4] = 0.009f;  // 0.45 -> 0

        byte[] block = GgufQuantizer.Quantize(x, GgufTensorType.Q8_0);

        Assert.Equal(34, block.Length);
        Assert.Equal((Half)0.02f, BinaryPrimitives.ReadHalfLittleEndian(block));
        Assert.Equal([127, -64, 2, -2, 0], block[2..7].Select(b => (int)(sbyte)b));
        Assert.All(block[7..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Q4_0_HandComputedBlock_HasGgmlLayout()
    {
        // The value with the largest magnitude is -1.6 -> d = -1.6 / -8 = 0.2; q = (int)(x / d + 8.5) clamped to 0..15.
        float[] x = new float[32];
        x[0] = -1.6f;  // -8 + 8.5 = 0.5 -> 0
        x[1] = 1.4f;   // 7 + 8.5 -> 15
        x[2] = 0.3f;   // 1.5 + 8.5 = 10
        x[16] = 0.2f;  // 1 + 8.5 -> 9
        x[17] = -0.6f; // -3 + 8.5 -> 5

        byte[] block = GgufQuantizer.Quantize(x, GgufTensorType.Q4_0);

        Assert.Equal(18, block.Length);
        Assert.Equal((Half)0.2f, BinaryPrimitives.ReadHalfLittleEndian(block));
        Assert.Equal(0x90, block[2]);            // q[0] = 0 low, q[16] = 9 high
        Assert.Equal(0x5F, block[3]);            // q[1] = 15 low, q[17] = 5 high
        Assert.Equal(0x8A, block[4]);            // q[2] = 10 low, q[18] = 8 (zero) high
        Assert.All(block[5..], b => Assert.Equal(0x88, b));
        float[] y = new float[32];
        GgufQuantizer.Dequantize(block, GgufTensorType.Q4_0, y);
        Assert.Equal(-1.6f, y[0], 1e-3f);
        Assert.Equal(0.2f, y[16], 1e-3f);
    }

    [Theory]
    [InlineData(GgufTensorType.Q8_0)]
    [InlineData(GgufTensorType.Q4_0)]
    [InlineData(GgufTensorType.F16)]
    public void RoundTrip_RandomValues_ErrorWithinHalfStep(GgufTensorType type)
    {
        var random = new Random(7);
        float[] x = Enumerable.Range(0, 32 * 64).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Exp(random.Next(-4, 4)))).ToArray();
        float[] y = new float[x.Length];

        GgufQuantizer.Dequantize(GgufQuantizer.Quantize(x, type), type, y);

        for (int b = 0; b < x.Length / 32; b++)
        {
            float amax = x.Skip(b * 32).Take(32).Max(MathF.Abs);
            // Q8_0 rounds to the nearest of 255 steps; Q4_0's positive end may clamp, so allow one step.
            float bound = type switch
            {
                GgufTensorType.Q8_0 => (amax / 127 / 2) + (amax * 1e-3f),
                GgufTensorType.Q4_0 => (amax / 8) + (amax * 1e-3f),
                _ => amax * 1e-3f,
            };
            for (int j = b * 32; j < (b + 1) * 32; j++)
            {
                Assert.True(MathF.Abs(x[j] - y[j]) <= bound, $"{type} value {x[j]} came back as {y[j]} (bound {bound}).");
            }
        }
    }

    [Fact]
    public void Quantize_ZeroBlock_IsAllZero()
    {
        float[] y = new float[32];
        GgufQuantizer.Dequantize(GgufQuantizer.Quantize(new float[32], GgufTensorType.Q4_0), GgufTensorType.Q4_0, y);
        Assert.All(y, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(GgufTensorType.Q4_0, new long[] { 64, 10 }, GgufTensorType.Q4_0)]
    [InlineData(GgufTensorType.Q4_0, new long[] { 172, 64 }, GgufTensorType.F16)]
    [InlineData(GgufTensorType.Q8_0, new long[] { 172, 64 }, GgufTensorType.F16)]
    [InlineData(GgufTensorType.Q8_0, new long[] { 64 }, GgufTensorType.F32)]
    [InlineData(GgufTensorType.F16, new long[] { 7, 3 }, GgufTensorType.F16)]
    public void Selector_FallsBackPerTensor(GgufTensorType requested, long[] shape, GgufTensorType expected) =>
        Assert.Equal(expected, TensorTypeSelector.Choose(requested, shape));
}
