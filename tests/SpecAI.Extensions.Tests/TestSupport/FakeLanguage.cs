namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>Deterministic logits as a function of the last two tokens and the position; a draft is the target plus noise.</summary>
internal static class FakeLanguage
{
    public static Func<IReadOnlyList<int>, float[]> Create(int vocabularySize, int seed, double scale = 2.0)
        => history =>
        {
            var logits = new float[vocabularySize];
            int a = history.Count > 0 ? history[^1] : -1;
            int b = history.Count > 1 ? history[^2] : -1;
            for (int v = 0; v < vocabularySize; v++)
            {
                logits[v] = (float)(scale * Unit(seed, a, b, v, history.Count % 3));
            }

            return logits;
        };

    public static Func<IReadOnlyList<int>, float[]> Perturbed(Func<IReadOnlyList<int>, float[]> target, int seed, double noise)
        => history =>
        {
            var logits = target(history);
            int a = history.Count > 0 ? history[^1] : -1;
            for (int v = 0; v < logits.Length; v++)
            {
                logits[v] += (float)(noise * Unit(seed, a, 7, v, 0));
            }

            return logits;
        };

    /// <summary>A hash mapped to [-1, 1).</summary>
    private static double Unit(int seed, int a, int b, int v, int c)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (int x in new[] { seed, a, b, v, c })
        {
            // SplitMix64 finaliser per input: every input bit reaches every output bit.
            h = (h ^ (uint)x) + 0x9E3779B97F4A7C15UL;
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }

        return (h >> 11) * (2.0 / (1UL << 53)) - 1.0;
    }
}
