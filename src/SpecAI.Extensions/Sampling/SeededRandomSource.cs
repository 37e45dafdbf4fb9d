namespace SpecAI.Extensions.Sampling;

/// <summary>
/// A seedable xoshiro256** generator producing doubles with the full 53 bits of mantissa.
/// </summary>
/// <remarks>
/// <c>new Random(seed)</c> yields doubles with about 31 random bits, which under-samples tokens of
/// probability below ~1e-9 and skews long generations; speculative sampling needs exact tails.
/// Not thread-safe: use one instance per request.
/// </remarks>
internal sealed class SeededRandomSource : IRandomSource
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a seed; the same seed always gives the same stream.</summary>
    /// <param name="seed">Any 64-bit value.</param>
    public SeededRandomSource(long seed)
    {
        // SplitMix64 expands the seed so that nearby seeds give unrelated streams.
        ulong x = unchecked((ulong)seed);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Creates a generator seeded from the operating system's entropy.</summary>
    public SeededRandomSource()
        : this(System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue) * 4294967296L
               ^ System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue))
    {
    }

    /// <summary>Returns the next 64 random bits.</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Returns a uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>A value in [0, 1).</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc />
    public bool NextBernoulli(double probability) => NextDouble() < probability;

    /// <inheritdoc />
    public int NextCategorical(ReadOnlySpan<double> weights) => CategoricalSampler.Sample(weights, NextDouble());

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
