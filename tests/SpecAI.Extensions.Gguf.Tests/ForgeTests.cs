using System.Diagnostics;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests;

public class ForgeTests
{
    internal static readonly LlamaFamilyOptions Small = new()
    {
        VocabularySize = 1024,
        Target = new(128, 2, 256, 2),
        Draft = new(64, 1, 128, 1),
        CalibrationSamples = 256,
    };

    [Fact]
    public void Vocabulary_HasEveryByteAndUniquePieces()
    {
        var vocabulary = ForgeVocabulary.Create(2000, chatMl: true);

        Assert.Equal(2000, vocabulary.Count);
        Assert.Equal(vocabulary.Count, vocabulary.Tokens.Distinct().Count());
        Assert.All(Enumerable.Range(0, 256), b => Assert.Contains($"<0x{b:X2}>", vocabulary.Tokens));
        Assert.Equal("<|im_end|>", vocabulary.Tokens[vocabulary.EndOfSequence]);
        Assert.Equal(LlamaTokenType.Control, vocabulary.TokenTypes[vocabulary.EndOfSequence]);
        var pieces = vocabulary.Tokens.Where((_, i) => vocabulary.TokenTypes[i] == LlamaTokenType.Normal).ToHashSet();
        Assert.All(pieces.Where(p => p.Length > 1), p => Assert.Contains(p[..^1], pieces));
    }

    [Theory]
    [InlineData(248_320)]
    [InlineData(262_144)]
    public void Vocabulary_LargestFamilies_AreForged(int size)
    {
        // Qwen3.5's 248,320 and Gemma 3's 262,144 tokens: the synthetic vocabulary reaches them with unique pieces.
        var vocabulary = ForgeVocabulary.Create(size, chatMl: true);

        Assert.Equal(size, vocabulary.Count);
        Assert.Equal(size, vocabulary.Tokens.Distinct().Count());
        Assert.Throws<ArgumentOutOfRangeException>("size", () => ForgeVocabulary.Create(262_145, chatMl: true));
    }

    [Fact]
    public void WriteFamily_SameSeed_IdenticalFiles()
    {
        using var temp = new TempFolder();
        LlamaModelForge.WriteFamily(Small, temp.File("t1.gguf"), temp.File("d1.gguf"));
        LlamaModelForge.WriteFamily(Small, temp.File("t2.gguf"), temp.File("d2.gguf"));
        LlamaModelForge.WriteFamily(Small with { Seed = 2 }, temp.File("t3.gguf"), temp.File("d3.gguf"));

        Assert.Equal(File.ReadAllBytes(temp.File("t1.gguf")), File.ReadAllBytes(temp.File("t2.gguf")));
        Assert.Equal(File.ReadAllBytes(temp.File("d1.gguf")), File.ReadAllBytes(temp.File("d2.gguf")));
        Assert.NotEqual(File.ReadAllBytes(temp.File("t1.gguf")), File.ReadAllBytes(temp.File("t3.gguf")));
    }

    [Theory]
    [InlineData(0.6)]
    [InlineData(0.95)]
    [InlineData(1.0)]
    public void WriteFamily_Calibration_HitsRequestedAgreementAndEntropy(double agreement)
    {
        using var temp = new TempFolder();
        ForgedFamily family = LlamaModelForge.WriteFamily(Small with { Agreement = agreement }, temp.File("t.gguf"), temp.File("d.gguf"));

        Assert.InRange(family.CalibratedAgreement, agreement - 0.02, agreement + 0.02); // repeated contexts tie
        Assert.InRange(family.MeanTargetEntropy, 2.0, 4.0);
        GgufHeader header = GgufReader.ReadHeader(family.DraftPath);
        Assert.Equal("llama", header.Metadata["general.architecture"].AsString());
        Assert.Equal(1024, header.Metadata["tokenizer.ggml.tokens"].Count);
    }

    [Fact]
    public void Options_Invalid_Throw()
    {
        Assert.Throws<ArgumentException>(() => (Small with { Agreement = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (Small with { BigramRank = 64 }).Validate());
        Assert.Throws<ArgumentException>(() => (Small with { Target = new(100, 1, 64, 3) }).Validate());
        Assert.Throws<ArgumentException>(() => (Small with { VocabularySize = 10 }).Validate());
    }
}
