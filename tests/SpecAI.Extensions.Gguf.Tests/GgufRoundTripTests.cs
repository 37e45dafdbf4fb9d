namespace SpecAI.Extensions.Gguf.Tests;

public class GgufRoundTripTests
{
    [Fact]
    public void WriteThenRead_Metadata_RoundTripsEveryType()
    {
        var writer = new GgufWriter()
            .SetMetadata("s", GgufValue.FromString("héllo"))
            .SetMetadata("b", GgufValue.FromBool(true))
            .SetMetadata("u8", GgufValue.FromUInt8(200))
            .SetMetadata("i8", GgufValue.FromInt8(-5))
            .SetMetadata("u16", GgufValue.FromUInt16(60000))
            .SetMetadata("i16", GgufValue.FromInt16(-30000))
            .SetMetadata("u32", GgufValue.FromUInt32(4_000_000_000))
            .SetMetadata("i32", GgufValue.FromInt32(-7))
            .SetMetadata("u64", GgufValue.FromUInt64(ulong.MaxValue))
            .SetMetadata("i64", GgufValue.FromInt64(long.MinValue))
            .SetMetadata("f32", GgufValue.FromFloat32(1.5f))
            .SetMetadata("f64", GgufValue.FromFloat64(Math.PI))
            .SetMetadata("strings", GgufValue.FromArray(new[] { "a", "", "<0x0A>" }))
            .SetMetadata("ints", GgufValue.FromArray(new[] { 1, -2, 3 }))
            .SetMetadata("floats", GgufValue.FromArray(new[] { 0.5f, -1f }))
            .SetMetadata("bools", GgufValue.FromArray(new[] { true, false }))
            .SetMetadata("u64s", GgufValue.FromArray(new ulong[] { 9, 10 }));

        GgufFile file = RoundTrip(writer);

        Assert.Equal(3u, file.Header.Version);
        Assert.Equal(writer.Metadata.Select(kv => kv.Key), file.Header.MetadataList.Select(kv => kv.Key));
        foreach ((string key, GgufValue expected) in writer.Metadata)
        {
            GgufValue actual = file.Metadata[key];
            Assert.Equal(expected.Type, actual.Type);
            Assert.Equal(expected.ElementType, actual.ElementType);
            Assert.Equal(expected.Value, actual.Value);
        }
    }

    [Fact]
    public void WriteThenRead_Tensors_KeepTypeShapeAndBytes()
    {
        float[] values = Enumerable.Range(0, 64 * 3).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var writer = new GgufWriter()
            .AddTensor("a", GgufTensorType.F32, [5], values.AsSpan(0, 5))
            .AddTensor("b", GgufTensorType.F16, [64, 3], values)
            .AddTensor("c", GgufTensorType.Q8_0, [64, 3], values)
            .AddTensor("d", GgufTensorType.Q4_0, [32, 2, 3], values);

        GgufFile file = RoundTrip(writer);

        Assert.Equal(["a", "b", "c", "d"], file.Tensors.Select(t => t.Name));
        foreach (GgufTensor expected in writer.Tensors)
        {
            GgufTensor actual = file.GetTensor(expected.Name);
            Assert.Equal(expected.Type, actual.Type);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
        }

        Assert.Equal(values.AsSpan(0, 5).ToArray(), file.GetTensor("a").ToFloats());
        float[] f16 = file.GetTensor("b").ToFloats();
        Assert.All(Enumerable.Range(0, values.Length), i => Assert.Equal(values[i], f16[i], 1e-3f));
    }

    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    [InlineData(256u)]
    public void Write_CustomAlignment_AlignsEveryTensorOffset(uint alignment)
    {
        var writer = new GgufWriter().SetMetadata(GgufKeys.Alignment, GgufValue.FromUInt32(alignment))
            .AddTensor("x", GgufTensorType.F32, [3], [1f, 2f, 3f])
            .AddTensor("y", GgufTensorType.F32, [2], [4f, 5f]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);

        GgufFile file = GgufReader.Read(new MemoryStream(stream.ToArray()), "mem");

        Assert.Equal((int)alignment, file.Header.Alignment);
        Assert.Equal([4f, 5f], file.GetTensor("y").ToFloats());
        Assert.Equal(0, stream.Length % alignment); // the data section ends with the last tensor's padding
    }

    [Fact]
    public void Read_BadMagic_ThrowsInvalidDataNamingTheFile()
    {
        var e = Assert.Throws<InvalidDataException>(() => GgufReader.Read(new MemoryStream(new byte[64]), "bad.gguf"));
        Assert.Contains("bad.gguf", e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Read_Truncated_ThrowsInvalidData()
    {
        var writer = new GgufWriter().SetMetadata("k", GgufValue.FromString("value"))
            .AddTensor("x", GgufTensorType.F32, [64], new float[64]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] bytes = stream.ToArray();

        foreach (int length in new[] { 6, 30, bytes.Length - 10 })
        {
            var e = Assert.Throws<InvalidDataException>(() => GgufReader.Read(new MemoryStream(bytes[..length]), "cut.gguf"));
            Assert.Contains("cut.gguf", e.Message);
        }
    }

    [Fact]
    public void AddTensor_WrongValueCount_Throws()
    {
        Assert.Throws<ArgumentException>("values", () => new GgufWriter().AddTensor("x", GgufTensorType.F32, [4, 2], new float[7]));
        Assert.Throws<ArgumentException>("rowLength", () => new GgufWriter().AddTensor("x", GgufTensorType.Q8_0, [48], new float[48]));
    }

    private static GgufFile RoundTrip(GgufWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return GgufReader.Read(new MemoryStream(stream.ToArray()), "memory");
    }
}
