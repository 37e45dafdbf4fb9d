using System.Buffers.Binary;
using System.Diagnostics;
using SpecAI.Extensions.Judge;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Judge;

public sealed class JudgeHeadFileTests : IDisposable
{
    private static readonly JudgeTargetFingerprint Stories = new("stories", 3, 512, 0x1234_5678_9abc_def0UL);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"specai-head-{Guid.NewGuid():N}.spjh");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Save_Load_RoundTripsV2WithTarget()
    {
        var head = new JudgeHead([0.5f, -1f, 2f], 0.25f, threshold: 0.8, Stories);
        head.Save(_path);
        var loaded = JudgeHead.Load(_path);
        Assert.Equal(head.Weights, loaded.Weights);
        Assert.Equal(0.25f, loaded.Bias);
        Assert.Equal(0.8, loaded.Threshold);
        Assert.Equal(Stories, loaded.Target);
        Assert.Equal(2, loaded.FormatVersion);
        Assert.Equal(1 / (1 + Math.Exp(-(0.5 - 2 + 2 + 0.25))), loaded.Score([1f, 2f, 1f]), 6);
        Assert.Throws<ArgumentException>("hidden", () => loaded.Score([1f]));
    }

    [Fact]
    public void Save_Load_UnboundHead_HasNoTarget()
    {
        new JudgeHead([1f, 2f], 0f, threshold: 1.0).Save(_path);
        var loaded = JudgeHead.Load(_path);
        Assert.Null(loaded.Target);
        Assert.Equal(1.0, loaded.Threshold);
    }

    [Fact]
    public void Load_V1File_LoadsWithoutFingerprint()
    {
        File.WriteAllBytes(_path, V1([1.5f, -0.5f], bias: 0.5f, threshold: 0.7));
        var loaded = JudgeHead.Load(_path);
        Assert.Equal(1, loaded.FormatVersion);
        Assert.Null(loaded.Target);
        Assert.Equal([1.5f, -0.5f], loaded.Weights);
        Assert.Equal(0.7, loaded.Threshold);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    public void Threshold_OutsideZeroOne_Throws(double threshold) =>
        Assert.Throws<ArgumentOutOfRangeException>("threshold", () => new JudgeHead([1f], 0f, threshold));

    [Fact]
    public void Threshold_ZeroAndOne_AreAllowed()
    {
        Assert.Equal(0.0, new JudgeHead([1f], 0f, 0.0).Threshold);
        Assert.Equal(1.0, new JudgeHead([1f], 0f).WithThreshold(1.0).Threshold);
    }

    [Fact]
    public void EnsureMatches_OtherModel_ThrowsNamingBothFingerprints()
    {
        var head = new JudgeHead([1f, 2f, 3f], 0f, target: Stories);
        var other = Stories with { ModelName = "qwen", VocabularyHash = 42 };
        var ex = Assert.Throws<JudgeHeadMismatchException>(() => head.EnsureMatches(other, "head.spjh"));
        Assert.Contains("'stories'", ex.Message);
        Assert.Contains("'qwen'", ex.Message);
        Assert.Equal(Stories, ex.HeadTarget);
        Assert.Equal(other, ex.Target);
        head.EnsureMatches(Stories with { }, "head.spjh");
    }

    [Fact]
    public void EnsureMatches_UnboundHeadOfWrongSize_ThrowsInvalidData()
    {
        var ex = Assert.Throws<InvalidDataException>(() => new JudgeHead([1f, 2f], 0f).EnsureMatches(Stories, "head.spjh"));
        Assert.Contains("hidden dimensions", ex.Message);
        new JudgeHead([1f, 2f, 3f], 0f).EnsureMatches(Stories, "head.spjh");
    }

    [Fact]
    public void Fingerprint_OfWrongHiddenSize_IsRejected() =>
        Assert.Throws<ArgumentException>("target", () => new JudgeHead([1f], 0f, target: Stories));

    [Fact]
    public void VocabularyHash_DependsOnTextsAndBoundaries()
    {
        ulong a = JudgeTargetFingerprint.HashVocabulary(["ab", "c"]);
        Assert.Equal(a, JudgeTargetFingerprint.HashVocabulary(["ab", "c"]));
        Assert.NotEqual(a, JudgeTargetFingerprint.HashVocabulary(["a", "bc"]));
        Assert.NotEqual(a, JudgeTargetFingerprint.HashVocabulary(["c", "ab"]));
    }

    [Fact]
    public void Load_BadFiles_ThrowInvalidData()
    {
        new JudgeHead([1f, 2f, 3f], 0.5f, target: Stories).Save(_path);
        byte[] valid = File.ReadAllBytes(_path);
        foreach (byte[] bad in new[]
                 {
                     new byte[] { 1, 2, 3, 4, 5 },
                     "SPJH"u8.ToArray(),
                     valid[..^1],
                     [.. valid, 0],
                     Flip(valid, 30),
                     Flip(valid, valid.Length - 1),
                     WithInt(valid, 4, 3),
                     WithInt(valid, 8, -1),
                     WithInt(valid, 8, int.MaxValue),
                 })
        {
            File.WriteAllBytes(_path, bad);
            Assert.Throws<InvalidDataException>(() => JudgeHead.Load(_path));
        }
    }

    /// <summary>Seeded random mutations of valid v2 and v1 files: each load succeeds or throws InvalidDataException, quickly, allocating little.</summary>
    [Fact]
    public void Load_Fuzzed_SucceedsOrThrowsInvalidData_WithinBounds()
    {
        new JudgeHead([0.5f, -1f, 2f, 0.25f], 0.5f, threshold: 0.6, Stories with { EmbeddingSize = 4 }).Save(_path);
        byte[][] seeds = [File.ReadAllBytes(_path), V1([1f, 2f, 3f], 0.1f, 0.5)];
        var random = new SeededRandomSource(20261201);
        int loaded = 0, rejected = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] file = Mutate(seeds[i % seeds.Length], random);
            File.WriteAllBytes(_path, file);
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try
            {
                JudgeHead.Load(_path);
                loaded++;
            }
            catch (InvalidDataException)
            {
                rejected++;
            }

            // A hang guard, not a speed check: a header that makes the reader loop or wait shows here.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"mutation {i} took {watch.ElapsedMilliseconds} ms");
            long bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            Assert.True(bytes < 256 * 1024, $"mutation {i} ({file.Length} bytes) allocated {bytes} bytes");
        }

        Assert.True(loaded > 0 && rejected > 0, $"loaded {loaded}, rejected {rejected}");
    }

    private static byte[] Mutate(byte[] source, SeededRandomSource random)
    {
        var bytes = source.ToList();
        int edits = 1 + (int)(random.NextUInt64() % 4);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : (int)(random.NextUInt64() % (ulong)bytes.Count);
            switch (random.NextUInt64() % 7)
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << (int)(random.NextUInt64() % 8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)random.NextUInt64();
                    break;
                case 2:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + (int)(random.NextUInt64() % 8)));
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.NextUInt64());
                    break;
                case 4 when bytes.Count >= at + 4:
                    // A length or count field set to something extreme.
                    int[] extremes = [0, -1, int.MaxValue, int.MinValue, 1 << 20, (1 << 20) + 1, 1024, 1025];
                    BinaryPrimitives.WriteInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).Slice(at, 4), extremes[random.NextUInt64() % (ulong)extremes.Length]);
                    break;
                case 5:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes.AddRange(Enumerable.Range(0, 1 + (int)(random.NextUInt64() % 16)).Select(_ => (byte)random.NextUInt64()));
                    break;
            }
        }

        return bytes.ToArray();
    }

    private static byte[] V1(float[] weights, float bias, double threshold)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("SPJH"u8);
        writer.Write(1);
        writer.Write(weights.Length);
        writer.Write(threshold);
        writer.Write(bias);
        foreach (float w in weights)
        {
            writer.Write(w);
        }

        writer.Flush();
        return stream.ToArray();
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x10;
        return copy;
    }

    private static byte[] WithInt(byte[] bytes, int offset, int value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(offset, 4), value);
        return copy;
    }
}
