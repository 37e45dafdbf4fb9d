namespace SpecAI.Extensions.Gguf.Tests;

/// <summary>Seeded mutations of a valid small GGUF: every one reads or fails with <see cref="InvalidDataException"/>, quickly and without big allocations.</summary>
public class GgufReaderFuzzTests
{
    private static readonly byte[] Valid = BuildValid();

    /// <summary>Positions of 8-byte fields that hold small numbers: counts, lengths, dimensions, offsets.</summary>
    private static readonly int[] Fields = Enumerable.Range(0, Valid.Length - 8).Where(p => BitConverter.ToUInt64(Valid, p) is > 0 and < 4096).ToArray();

    /// <summary>Values that make counts, lengths and offsets interesting.</summary>
    private static readonly ulong[] Interesting =
    [
        0, 1, 2, 3, 4, 7, 8, 31, 32, 33, 255, 256, 4096, 65535, 1UL << 31, (1UL << 31) - 1, 1UL << 32, (1UL << 32) - 1,
        (ulong)long.MaxValue, (ulong)long.MaxValue - 31, (ulong)long.MaxValue + 1, ulong.MaxValue, ulong.MaxValue - 31, 1UL << 62,
    ];

    [Fact]
    public void MutatedFiles_ReadOrFailWithInvalidData() =>
        FuzzHarness.Run(cases: 3_000, seed: 1_000, random =>
        {
            byte[] bytes = Mutate(Valid, random);
            try
            {
                GgufReader.Validate(new MemoryStream(bytes), "fuzz.gguf");
            }
            finally
            {
                var file = GgufReader.Read(new MemoryStream(bytes), "fuzz.gguf");
                Assert.Equal(file.Header.Tensors.Count, file.Tensors.Count);
            }
        }, [typeof(InvalidDataException)]);

    [Fact]
    public void ValidFile_StillReads()
    {
        var file = GgufReader.Read(new MemoryStream(Valid), "valid.gguf");
        Assert.Equal(3, file.Tensors.Count);
        GgufReader.Validate(new MemoryStream(Valid), "valid.gguf");
    }

    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    // An 8-byte little-endian field (counts, lengths, dimensions, offsets) set to an interesting value.
                    ulong value = Interesting[random.Next(Interesting.Length)];
                    at = Math.Min(random.Next(2) == 0 ? Fields[random.Next(Fields.Length)] : at, bytes.Count - 8);
                    for (int i = 0; i < 8; i++)
                    {
                        bytes[at + i] = (byte)(value >> (8 * i));
                    }

                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    bytes.AddRange(new byte[random.Next(3)]);
                    break;
                case 4:
                    bytes.InsertRange(at, source.Skip(random.Next(source.Length)).Take(1 + random.Next(40)));
                    break;
                default:
                    bytes.RemoveRange(at, Math.Min(1 + random.Next(16), bytes.Count - at));
                    break;
            }

            if (bytes.Count < 8)
            {
                bytes.AddRange(new byte[8]);
            }
        }

        return bytes.ToArray();
    }

    private static byte[] BuildValid()
    {
        var values = Enumerable.Range(0, 64).Select(i => i * 0.25f).ToArray();
        var writer = new GgufWriter()
            .SetMetadata("general.architecture", GgufValue.FromString("llama"))
            .SetMetadata("llama.block_count", GgufValue.FromUInt32(1))
            .SetMetadata("tokenizer.ggml.tokens", GgufValue.FromArray(new[] { "<unk>", "<s>", "</s>", "a", "b" }))
            .SetMetadata("tokenizer.ggml.scores", GgufValue.FromArray(new[] { 0f, 0f, 0f, -1f, -2f }))
            .SetMetadata("tokenizer.ggml.token_type", GgufValue.FromArray(new[] { 2, 3, 3, 1, 1 }))
            .SetMetadata("flag", GgufValue.FromBool(true))
            .AddTensor("token_embd.weight", GgufTensorType.F32, [8, 4], values.AsSpan(0, 32))
            .AddTensor("output.weight", GgufTensorType.Q8_0, [32, 2], values)
            .AddTensor("norm", GgufTensorType.F16, [16], values.AsSpan(0, 16));
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }
}
