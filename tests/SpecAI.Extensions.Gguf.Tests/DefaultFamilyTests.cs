using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests;

public class DefaultFamilyTests(DefaultFamilyFixture fixture) : IClassFixture<DefaultFamilyFixture>
{
    [Fact]
    public void GetOrCreateFamily_Default_IsQuickCheapDraftAndReused()
    {
        ForgedFamily family = fixture.Family;
        DateTime written = File.GetLastWriteTimeUtc(family.TargetPath);

        ForgedFamily again = LlamaModelForge.GetOrCreateFamily(fixture.CacheDirectory);

        Assert.True(fixture.ForgeTime < TimeSpan.FromSeconds(60), $"Forging the default family took {fixture.ForgeTime}.");
        Assert.True(family.CostRatio >= 8, $"Cost ratio {family.CostRatio:0.0} is below 8.");
        Assert.Equal(family.TargetPath, again.TargetPath);
        Assert.Equal(written, File.GetLastWriteTimeUtc(again.TargetPath));
        Assert.Equal(family.CalibratedAgreement, again.CalibratedAgreement);
        Assert.Equal(2, Directory.GetFiles(fixture.CacheDirectory).Length);
        Assert.Contains($"forge{LlamaModelForge.FormatVersion}-", Path.GetFileName(family.TargetPath));
        Assert.InRange(family.MeanTargetEntropy, 2.5, 3.5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DefaultFamily_LoadsInLlamaSharpAndDecodes(bool target)
    {
        string path = target ? fixture.Family.TargetPath : fixture.Family.DraftPath;
        using LLamaWeights weights = LlamaNative.Load(path, out ModelParams parameters);
        using LLamaContext context = weights.CreateContext(parameters);

        LLamaToken[] tokens = context.Tokenize("Hello, world! Spéculation 123.", addBos: true);
        int[] argmax = LlamaNative.TeacherForcedArgmax(context, tokens);

        Assert.Equal(32_000, weights.Vocab.Count);
        Assert.Equal((target ? fixture.Family.Options.Target : fixture.Family.Options.Draft).EmbeddingLength, weights.EmbeddingSize);
        var decoder = new StreamingTokenDecoder(context);
        decoder.AddRange(tokens[1..]);
        Assert.Equal("Hello, world! Spéculation 123.", decoder.Read());
        Assert.All(argmax, a => Assert.InRange(a, 0, 31_999));
        float[] logits = context.NativeHandle.GetLogitsIth(tokens.Length - 1).ToArray();
        Assert.All(logits, x => Assert.True(float.IsFinite(x)));
        Assert.True(logits.Max() - logits.Min() > 5, "Logits should not be flat.");
    }
}
