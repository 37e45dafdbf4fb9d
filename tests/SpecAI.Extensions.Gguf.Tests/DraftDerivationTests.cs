using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Derivation;

namespace SpecAI.Extensions.Gguf.Tests;

public class DraftDerivationTests
{
    [Fact]
    public void Derive_Q4_0ThreeLayers_LoadsWithSharedVocabulary()
    {
        using var temp = new TempFolder();
        string draft = temp.File("draft.gguf");

        DraftDerivationResult result = DraftDerivation.Derive(SharedModels.Stories260K, draft, new() { Quantize = DraftQuantization.Q4_0, Layers = 3 });

        Assert.Equal(3, result.BlockCount);
        Assert.DoesNotContain(result.TensorTypes.Keys, n => n.StartsWith("blk.3.", StringComparison.Ordinal) || n.StartsWith("blk.4.", StringComparison.Ordinal));
        Assert.Equal(GgufTensorType.Q4_0, result.TensorTypes["blk.0.attn_q.weight"]);
        Assert.Equal(GgufTensorType.F16, result.TensorTypes["blk.0.ffn_down.weight"]);
        using LLamaWeights weights = LlamaNative.Load(draft, out ModelParams parameters);
        using LLamaContext context = weights.CreateContext(parameters);
        Assert.Equal(512, weights.Vocab.Count);
        Assert.Equal("3", weights.Metadata["llama.block_count"]);
        int[] argmax = LlamaNative.TeacherForcedArgmax(context, context.Tokenize("Once upon a time", addBos: true));
        Assert.All(argmax, a => Assert.InRange(a, 0, 511));
    }

    [Fact]
    public void Derive_Q8_0_FallsBackWhereRowsAreNotMultiplesOf32()
    {
        using var temp = new TempFolder();
        string draft = temp.File("q8.gguf");

        DraftDerivationResult result = DraftDerivation.Derive(SharedModels.Stories260K, draft, new() { Quantize = DraftQuantization.Q8_0 });

        GgufFile source = GgufReader.Read(SharedModels.Stories260K);
        Assert.Equal(172, source.GetTensor("blk.0.ffn_down.weight").Shape[0]);
        GgufFile written = GgufReader.Read(draft);
        Assert.Equal(5, result.BlockCount);
        Assert.Equal(source.Tensors.Count, written.Tensors.Count);
        foreach (GgufTensor tensor in written.Tensors)
        {
            GgufTensorType expected = tensor.Shape.Count == 1 ? source.GetTensor(tensor.Name).Type
                : tensor.Shape[0] % 32 == 0 ? GgufTensorType.Q8_0 : GgufTensorType.F16;
            Assert.True(expected == tensor.Type, $"{tensor.Name} [{string.Join(", ", tensor.Shape)}] is {tensor.Type}, expected {expected}.");
            float[] a = source.GetTensor(tensor.Name).ToFloats(), b = tensor.ToFloats();
            float amax = a.Max(MathF.Abs);
            Assert.All(Enumerable.Range(0, a.Length), i => Assert.True(MathF.Abs(a[i] - b[i]) <= (amax / 127) + 1e-6f, tensor.Name));
        }

        Assert.Equal(source.Metadata["tokenizer.ggml.tokens"].AsArray<string>(), written.Metadata["tokenizer.ggml.tokens"].AsArray<string>());
        using LLamaWeights weights = LlamaNative.Load(draft, out ModelParams parameters);
        using LLamaContext context = weights.CreateContext(parameters);
        Assert.Equal(512, weights.Vocab.Count);
    }

    [Fact]
    public void Derive_None_CopiesTheModelExactly()
    {
        using var temp = new TempFolder();
        DraftDerivation.Derive(SharedModels.Stories260K, temp.File("copy.gguf"));

        GgufFile source = GgufReader.Read(SharedModels.Stories260K), copy = GgufReader.Read(temp.File("copy.gguf"));

        Assert.Equal(source.Tensors.Select(t => t.Data.ToArray()), copy.Tensors.Select(t => t.Data.ToArray()));
        Assert.Equal(source.Header.MetadataList.Select(kv => kv.Key), copy.Header.MetadataList.Select(kv => kv.Key));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Derive_LayersOutOfRange_Throws(int layers)
    {
        using var temp = new TempFolder();
        Assert.Throws<ArgumentOutOfRangeException>("options", () => DraftDerivation.Derive(SharedModels.Stories260K, temp.File("x.gguf"), new() { Layers = layers }));
    }

    [Fact]
    public void Derive_NotGguf_ThrowsInvalidDataNamingTheFile()
    {
        using var temp = new TempFolder();
        string bogus = temp.File("bogus.gguf");
        File.WriteAllText(bogus, "definitely not a model");

        var e = Assert.Throws<InvalidDataException>(() => DraftDerivation.Derive(bogus, temp.File("out.gguf")));
        Assert.Contains(bogus, e.Message);
    }
}
