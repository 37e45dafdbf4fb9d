using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>xoshiro256** seeded through SplitMix64: the same seed gives the same model on every platform.</summary>
internal sealed class ForgeRandom
{
    private readonly SeededRandomSource _random;
    private double? _spareGaussian;

    public ForgeRandom(ulong seed)
    {
        _random = new SeededRandomSource(unchecked((long)seed));
    }

    public ulong NextUInt64() => _random.NextUInt64();

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => _random.NextDouble();

    public int NextInt(int exclusiveMax) => (int)(NextDouble() * exclusiveMax);

    /// <summary>Standard normal by Box-Muller.</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is double spare)
        {
            _spareGaussian = null;
            return spare;
        }

        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareGaussian = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    public void FillGaussian(Span<float> destination, double std)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(NextGaussian() * std);
        }
    }

    /// <summary>A random unit vector.</summary>
    public void FillUnit(Span<float> destination)
    {
        FillGaussian(destination, 1.0);
        double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(destination));
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(destination[i] / norm);
        }
    }
}
