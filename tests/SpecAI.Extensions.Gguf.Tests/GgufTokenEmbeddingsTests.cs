namespace SpecAI.Extensions.Gguf.Tests;

public class GgufTokenEmbeddingsTests
{
    [Theory]
    [InlineData(GgufTensorType.F32)]
    [InlineData(GgufTensorType.F16)]
    [InlineData(GgufTensorType.BF16)]
    [InlineData(GgufTensorType.Q8_0)]
    [InlineData(GgufTensorType.Q4_0)]
    public void GetRow_EachStoredType_EqualsTheWholeTensorDequantized(GgufTensorType type)
    {
        using var folder = new TempFolder();
        string path = folder.File($"embd-{type}.gguf");
        const int dimension = 64, vocabulary = 37;
        var rng = new Random(3);
        var values = Enumerable.Range(0, dimension * vocabulary).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var writer = new GgufWriter().SetMetadata("general.architecture", GgufValue.FromString("llama"));
        writer.AddTensor("output_norm.weight", GgufTensorType.F32, [dimension], new float[dimension]);
        if (type == GgufTensorType.BF16)
        {
            writer.AddTensor(new GgufTensor(new GgufTensorInfo(GgufTokenEmbeddings.TensorName, type, [dimension, vocabulary]), ToBf16(values)));
        }
        else
        {
            writer.AddTensor(GgufTokenEmbeddings.TensorName, type, [dimension, vocabulary], values);
        }

        writer.Write(path);
        float[] expected = GgufReader.Read(path).GetTensor(GgufTokenEmbeddings.TensorName).ToFloats();
        using var embeddings = GgufTokenEmbeddings.Open(path);
        Assert.Equal(vocabulary, embeddings.VocabularySize);
        Assert.Equal(dimension, embeddings.Dimension);
        foreach (int token in new[] { 0, 1, 17, vocabulary - 1, 17 })
        {
            Assert.Equal(expected.AsSpan(token * dimension, dimension).ToArray(), embeddings.GetRow(token).ToArray());
        }

        Assert.Throws<ArgumentOutOfRangeException>("token", () => embeddings.GetRow(vocabulary));
        Assert.Throws<ArgumentOutOfRangeException>("token", () => embeddings.GetRow(-1));
    }

    [Fact]
    public void Open_Stories260K_RowsMatchTheFile()
    {
        string path = SharedModels.Stories260K;
        float[] expected = GgufReader.Read(path).GetTensor(GgufTokenEmbeddings.TensorName).ToFloats();
        using var embeddings = GgufTokenEmbeddings.Open(path);
        Assert.Equal(512, embeddings.VocabularySize);
        Assert.Equal(expected.AsSpan(300 * embeddings.Dimension, embeddings.Dimension).ToArray(), embeddings.GetRow(300).ToArray());
    }

    [Fact]
    public void Open_NoEmbeddingTensor_ThrowsInvalidData()
    {
        using var folder = new TempFolder();
        string path = folder.File("none.gguf");
        new GgufWriter().SetMetadata("general.architecture", GgufValue.FromString("llama"))
            .AddTensor("output_norm.weight", GgufTensorType.F32, [32], new float[32]).Write(path);
        Assert.Throws<InvalidDataException>(() => GgufTokenEmbeddings.Open(path));
    }

    private static byte[] ToBf16(float[] values)
    {
        var bytes = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)(bits >> 16));
        }

        return bytes;
    }
}
