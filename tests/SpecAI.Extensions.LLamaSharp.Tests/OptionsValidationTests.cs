namespace SpecAI.Extensions.LLamaSharp.Tests;

public sealed class OptionsValidationTests
{
    private static SpeculativeChatClientOptions Valid() => new() { TargetModelPath = "target.gguf" };

    [Fact]
    public void NegativeMainGpu_IsRejected_NamingIt()
    {
        var options = Valid();
        options.MainGpu = -1;
        Assert.Equal(nameof(SpeculativeChatClientOptions.MainGpu), Assert.Throws<ArgumentException>(options.Validate).ParamName);
    }

    [Theory]
    [InlineData(17, 0.1f)]
    [InlineData(2, 0f)]
    [InlineData(2, -0.5f)]
    [InlineData(2, float.NaN)]
    [InlineData(2, float.PositiveInfinity)]
    public void BadTensorSplits_AreRejected_NamingThem(int count, float value)
    {
        var options = Valid();
        options.TensorSplits = Enumerable.Repeat(value, count).ToArray();
        Assert.Equal(nameof(SpeculativeChatClientOptions.TensorSplits), Assert.Throws<ArgumentException>(options.Validate).ParamName);
    }

    [Fact]
    public void GoodGpuSettings_Pass()
    {
        var options = Valid();
        options.MainGpu = 1;
        options.TensorSplits = [0.6f, 0.4f, 0f];
        Assert.Null(Record.Exception(options.Validate));
        options.TensorSplits = [];
        Assert.Null(Record.Exception(options.Validate));
        Assert.Empty(options.TensorSplits);
        Assert.Equal(1, options.MainGpu);
    }
}
