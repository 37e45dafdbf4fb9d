using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Sampling;

/// <summary>The float exponential of the sampling weights: accuracy, edge arguments, and one result whatever the position.</summary>
public class FloatExpTests
{
    [Fact]
    public void Exp_IsWithinOneUlpOfTheCorrectlyRoundedExponential()
    {
        var rng = new Random(25);
        var x = new float[200_003];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(-rng.NextDouble() * (i % 3 == 0 ? 110 : 20));
        }

        var y = new float[x.Length];
        FloatExp.Exp(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            float reference = (float)Math.Exp(x[i]);
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(y[i]) - BitConverter.SingleToInt32Bits(reference));
            Assert.True(ulps <= 1, $"exp({x[i]:R}) = {y[i]:R}, reference {reference:R}: {ulps} ulps");
        }
    }

    [Fact]
    public void Exp_EdgeArguments()
    {
        float[] x = [0f, -0f, float.NegativeInfinity, -1e-10f, -87.5f, -103.9f, -104.5f, -200f, 1f];
        var y = new float[x.Length];
        FloatExp.Exp(x, y);
        Assert.Equal(1f, y[0]);
        Assert.Equal(1f, y[1]);
        Assert.Equal(0f, y[2]);
        Assert.Equal(1f, y[3]);
        Assert.Equal((float)Math.Exp(-87.5), y[4]);
        Assert.True(y[5] > 0 && y[5] <= 2 * float.Epsilon, $"subnormal exp(-103.9) = {y[5]:R}");
        Assert.Equal(0f, y[6]);
        Assert.Equal(0f, y[7]);
        Assert.Equal(MathF.E, y[8], 1e-6f);
    }

    [Fact]
    public void Exp_VectorLanesAndScalarTailAgreeBitForBit()
    {
        // The same argument at every offset: whether it lands in a vector lane or the scalar tail, one result.
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            float value = (float)(-rng.NextDouble() * 105);
            for (int length = 1; length <= 40; length++)
            {
                var x = Enumerable.Repeat(value, length).ToArray();
                var y = new float[length];
                FloatExp.Exp(x, y);
                var w = new double[length];
                double total = FloatExp.ExpToDouble(x, 0f, w);
                Assert.All(y, v => Assert.Equal(BitConverter.SingleToInt32Bits(y[0]), BitConverter.SingleToInt32Bits(v)));
                Assert.All(w, v => Assert.Equal((double)y[0], v));
                Assert.Equal(length * (double)y[0], total, 1e-12 * length);
            }
        }
    }
}
