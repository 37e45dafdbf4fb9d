namespace SpecAI.Extensions.Gguf.Tests;

/// <summary>Forged headers: each problem is an <see cref="InvalidDataException"/> naming the file and the field.</summary>
public class GgufReaderHardeningTests
{
    private const string Name = "forged.gguf";

    private static InvalidDataException Refused(byte[] bytes, params string[] mentions)
    {
        var e = Assert.Throws<InvalidDataException>(() => GgufReader.Read(new MemoryStream(bytes), Name));
        Assert.Contains(Name, e.Message, StringComparison.Ordinal);
        foreach (string mention in mentions)
        {
            Assert.Contains(mention, e.Message, StringComparison.Ordinal);
        }

        var validated = Assert.Throws<InvalidDataException>(() => GgufReader.Validate(new MemoryStream(bytes), Name));
        Assert.Equal(e.Message, validated.Message);
        return e;
    }

    [Fact]
    public void DuplicateMetadataKey_IsInvalidData() =>
        Refused(new RawGguf(0, 2).KeyUInt32("llama.block_count", 2).KeyUInt32("llama.block_count", 3).Data(0), "llama.block_count", "twice");

    [Fact]
    public void DuplicateTensorName_IsInvalidData() =>
        Refused(new RawGguf(2, 0).Tensor("w", GgufTensorType.F32, [4], 0).Tensor("w", GgufTensorType.F32, [4], 32).Data(64), "'w'", "twice");

    [Fact]
    public void OverlappingTensorData_IsInvalidData() =>
        Refused(new RawGguf(2, 0).Tensor("a", GgufTensorType.F32, [16], 0).Tensor("b", GgufTensorType.F32, [16], 32).Data(128), "'a'", "'b'", "overlap");

    [Fact]
    public void TensorDataBeyondTheFile_IsInvalidData_AlreadyInTheHeader()
    {
        byte[] bytes = new RawGguf(1, 0).Tensor("a", GgufTensorType.F32, [64], 0).Data(100);
        Refused(bytes, "'a'", "past the end");
        string path = Path.Combine(Path.GetTempPath(), "specai-" + Guid.NewGuid().ToString("N") + ".gguf");
        File.WriteAllBytes(path, bytes);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => GgufReader.ReadHeader(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidDataException>(() => GgufReader.ValidateModelFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OffsetNearInt64Max_IsInvalidData() =>
        Refused(new RawGguf(1, 0).Tensor("a", GgufTensorType.F32, [1024, 1024], (ulong)long.MaxValue - 31).Data(64), "'a'");

    [Fact]
    public void OffsetBeyondInt64_IsInvalidData() =>
        Refused(new RawGguf(1, 0).Tensor("a", GgufTensorType.F32, [4], ulong.MaxValue - 31).Data(64), "'a'", "offset");

    [Fact]
    public void ByteCountOverflow_IsInvalidData() =>
        Refused(new RawGguf(1, 0).Tensor("huge", GgufTensorType.F32, [int.MaxValue, int.MaxValue, int.MaxValue, 4], 0).Data(64), "'huge'", "overflows");

    [Theory]
    [InlineData(GgufValueType.String, 1_000)]
    [InlineData(GgufValueType.UInt64, 100)]
    [InlineData(GgufValueType.Float32, 200)]
    public void ArrayCountBeyondItsBytes_IsInvalidData_NamingTheKey(GgufValueType elementType, ulong count) =>
        Refused(new RawGguf(0, 1).KeyArray("tokenizer.ggml.tokens", elementType, count, payload: 400).Data(0), "tokenizer.ggml.tokens");

    [Fact]
    public void TensorCountBeyondTheBytes_IsInvalidData() =>
        Refused(new RawGguf(1UL << 40, 0).Data(0), "tensor count");

    [Fact]
    public void UnknownTensorType_PassesValidation_WithItsOffsetChecked()
    {
        byte[] ok = new RawGguf(1, 0).Tensor("q", (GgufTensorType)16, [256], 0).Data(64);
        GgufReader.Validate(new MemoryStream(ok), Name);
        Assert.Throws<InvalidDataException>(() => GgufReader.Read(new MemoryStream(ok), Name));

        byte[] past = new RawGguf(1, 0).Tensor("q", (GgufTensorType)16, [256], 96).Data(64);
        Assert.Throws<InvalidDataException>(() => GgufReader.Validate(new MemoryStream(past), Name));
    }

    [Fact]
    public void KQuantTensor_RangeIsChecked()
    {
        // Q4_K: 144 bytes per 256 values.
        GgufReader.Validate(new MemoryStream(new RawGguf(1, 0).Tensor("k", (GgufTensorType)12, [256, 2], 0).Data(288)), Name);
        Assert.Throws<InvalidDataException>(() => GgufReader.Validate(new MemoryStream(new RawGguf(1, 0).Tensor("k", (GgufTensorType)12, [256, 2], 0).Data(287)), Name));
    }
}
