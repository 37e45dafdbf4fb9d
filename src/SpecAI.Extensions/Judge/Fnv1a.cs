namespace SpecAI.Extensions.Judge;

/// <summary>FNV-1a 64-bit hashing (vocabulary fingerprints, head file checksums): simple, stable across platforms and runs.</summary>
internal static class Fnv1a
{
    public const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Add(ulong hash, byte value) => (hash ^ value) * Prime;

    public static ulong Add(ulong hash, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }
}
