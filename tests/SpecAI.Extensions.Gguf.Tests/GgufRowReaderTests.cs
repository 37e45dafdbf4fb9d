namespace SpecAI.Extensions.Gguf.Tests;

public sealed class GgufRowReaderTests
{
    [Theory]
    [InlineData("stories260K.gguf")]
    [InlineData("stories260K-f16.gguf")]
    [InlineData("stories260K-q4_0.gguf")]
    public void Rows_EqualTheWholeTensorDequantized(string model)
    {
        string path = SharedModels.Get(model);
        var whole = GgufReader.Read(path).GetTensor("token_embd.weight");
        float[] all = whole.ToFloats();
        using var rows = GgufRowReader.Open(path, "token_embd.weight");
        Assert.Equal((int)whole.Shape[0], rows.RowLength);
        Assert.Equal((int)whole.Shape[1], rows.RowCount);
        Assert.Equal((uint)whole.Type, rows.TypeId);
        var row = new float[rows.RowLength];
        foreach (int r in new[] { 0, 1, 77, rows.RowCount - 1 })
        {
            rows.ReadRow(r, row);
            Assert.Equal(all.AsSpan(r * rows.RowLength, rows.RowLength).ToArray(), row);
        }

        Assert.Throws<ArgumentOutOfRangeException>("row", () => rows.ReadRow(rows.RowCount, row));
        Assert.Throws<ArgumentException>("destination", () => rows.ReadRow(0, new float[3]));
    }

    [Fact]
    public void MissingOrNonMatrixTensor_IsInvalidData()
    {
        string path = SharedModels.Stories260K;
        Assert.Contains("no tensor", Assert.Throws<InvalidDataException>(() => GgufRowReader.Open(path, "nope.weight")).Message, StringComparison.Ordinal);
        Assert.Contains("not a 2-D table", Assert.Throws<InvalidDataException>(() => GgufRowReader.Open(path, "output_norm.weight")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KQuantTypes_AreReadable_OthersAreNot()
    {
        Assert.True(GgufRowReader.CanRead(12));
        Assert.True(GgufRowReader.CanRead(13));
        Assert.True(GgufRowReader.CanRead(14));
        Assert.True(GgufRowReader.CanRead(8));
        Assert.False(GgufRowReader.CanRead(10)); // Q2_K
        Assert.False(GgufRowReader.CanRead(3));  // Q4_1
    }
}
