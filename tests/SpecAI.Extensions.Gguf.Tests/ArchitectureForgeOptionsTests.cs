using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests;

/// <summary><see cref="ArchitectureForge"/>: option validation, the cache, and the tensor layouts it writes (managed side; the native loading is tested in the LLamaSharp tests).</summary>
public class ArchitectureForgeOptionsTests
{
    [Fact]
    public void Names_HoldEveryArchitecture()
    {
        Assert.Equal(["llama", "qwen35", "lfm2", "gemma3", "qwen3moe"], ArchitectureForge.Names);
    }

    [Theory]
    [InlineData("mamba")]
    [InlineData("QWEN35")]
    [InlineData("")]
    public void GetOrCreate_UnknownArchitecture_NamesTheSupportedOnes(string architecture)
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => ArchitectureForge.GetOrCreate(architecture, temp.Path));
        Assert.Equal("architecture", e.ParamName);
        Assert.All(ArchitectureForge.Names, name => Assert.Contains(name, e.Message, StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public void GetOrCreate_EmptyFolder_Throws()
    {
        Assert.Throws<ArgumentException>(() => ArchitectureForge.GetOrCreate("qwen35", ""));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(300_001)]
    [InlineData(-1)]
    public void Validate_VocabularySizeOutOfRange_Throws(int size)
    {
        var e = Assert.Throws<ArgumentException>(() => new ArchitectureForgeOptions { VocabularySize = size }.Validate());
        Assert.Equal(nameof(ArchitectureForgeOptions.VocabularySize), e.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Validate_AgreementOutsideZeroToOne_Throws(double agreement)
    {
        Assert.Throws<ArgumentException>(() => new ArchitectureForgeOptions { Agreement = agreement }.Validate());
    }

    [Fact]
    public void Validate_UndefinedScale_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ArchitectureForgeOptions { Scale = (ForgeFamilyScale)7 }.Validate());
    }

    [Fact]
    public void Validate_MissingTokenizer_ThrowsFileNotFound()
    {
        using var temp = new TempFolder();
        Assert.Throws<FileNotFoundException>(() => ArchitectureForge.GetOrCreate("lfm2", temp.Path, new ArchitectureForgeOptions { TokenizerPath = temp.File("missing.json") }));
    }

    [Fact]
    public void Vocabulary_AboveTheSyntheticMaximum_IsPaddedToTheRequestedSize()
    {
        ForgeVocabulary vocabulary = ArchitectureForge.Vocabulary(new ArchitectureForgeOptions { VocabularySize = 248_320 });
        Assert.Equal(248_320, vocabulary.Count);
        Assert.Equal(200_000, vocabulary.RealCount);
        Assert.Equal(512, ArchitectureForge.Vocabulary(new ArchitectureForgeOptions()).Count);
        Assert.Equal(32_000, ArchitectureForge.Vocabulary(new ArchitectureForgeOptions { Scale = ForgeFamilyScale.Bench }).Count);
    }

    [Fact]
    public void GetOrCreate_SameOptions_ReusesTheFiles_OtherOptions_Rewrite()
    {
        using var temp = new TempFolder();
        ForgedArchitecturePair first = ArchitectureForge.GetOrCreate("qwen3moe", temp.Path);
        Assert.Equal(temp.File("target.gguf"), first.TargetPath);
        Assert.Equal(temp.File("draft.gguf"), first.DraftPath);
        byte[] bytes = File.ReadAllBytes(first.TargetPath);
        DateTime written = File.GetLastWriteTimeUtc(first.TargetPath);

        ForgedArchitecturePair again = ArchitectureForge.GetOrCreate("qwen3moe", temp.Path, new ArchitectureForgeOptions());
        Assert.Equal(written, File.GetLastWriteTimeUtc(again.TargetPath));
        Assert.Equal(first with { Options = again.Options }, again);

        ArchitectureForge.GetOrCreate("qwen3moe", temp.Path, new ArchitectureForgeOptions { Seed = 2 });
        Assert.NotEqual(bytes, File.ReadAllBytes(first.TargetPath));
        ArchitectureForge.GetOrCreate("qwen3moe", temp.Path);
        Assert.Equal(bytes, File.ReadAllBytes(first.TargetPath));
    }

    [Fact]
    public void Qwen35_ThreeDeltaNetBlocksPerAttentionBlock_EveryTensorNonZero_DraftSmaller()
    {
        using var temp = new TempFolder();
        ForgedArchitecturePair pair = ArchitectureForge.GetOrCreate("qwen35", temp.Path);
        GgufFile target = GgufReader.Read(pair.TargetPath), draft = GgufReader.Read(pair.DraftPath);

        Assert.Equal("qwen35", target.Metadata["general.architecture"].AsString());
        Assert.Equal(4, target.Metadata["qwen35.full_attention_interval"].AsInt64());
        Assert.Equal(8, target.Metadata["qwen35.block_count"].AsInt64());
        Assert.Equal(4, draft.Metadata["qwen35.block_count"].AsInt64());
        Assert.True(draft.Metadata["qwen35.embedding_length"].AsInt64() < target.Metadata["qwen35.embedding_length"].AsInt64());
        Assert.Equal(4, target.Metadata["qwen35.rope.dimension_sections"].Count);
        var names = target.Tensors.Select(t => t.Name).ToHashSet();
        foreach (int block in new[] { 0, 1, 2, 4, 5, 6 })
        {
            Assert.Contains($"blk.{block}.ssm_conv1d.weight", names);
            Assert.Contains($"blk.{block}.ssm_a", names);
            Assert.Contains($"blk.{block}.ssm_dt.bias", names);
            Assert.DoesNotContain($"blk.{block}.attn_q.weight", names);
        }

        foreach (int block in new[] { 3, 7 })
        {
            Assert.DoesNotContain($"blk.{block}.ssm_conv1d.weight", names);
            // The query projection carries a per-head output gate: twice the heads' width.
            Assert.Equal([64L, 2 * 2 * 32], target.Tensors.Single(t => t.Name == $"blk.{block}.attn_q.weight").Shape);
        }

        Assert.All(target.Tensors.Concat(draft.Tensors), t =>
        {
            float[] values = t.ToFloats();
            Assert.All(values, x => Assert.True(float.IsFinite(x), t.Name));
            Assert.True(values.Any(x => x != 0), $"{t.Name} is all zero");
        });
        Assert.All(target.Tensors.Where(t => t.Name.EndsWith(".ssm_a", StringComparison.Ordinal)), t => Assert.All(t.ToFloats(), x => Assert.True(x < 0, "decay rates are negative")));
        Assert.All(target.Tensors.Where(t => t.Shape.Count > 1), t => Assert.Equal(GgufTensorType.F32, t.Type));
    }

    [Fact]
    public void Lfm2_MarksConvolutionBlocksWithZeroKvHeads_AndNamesItsFinalNorm()
    {
        using var temp = new TempFolder();
        GgufFile target = GgufReader.Read(ArchitectureForge.GetOrCreate("lfm2", temp.Path).TargetPath);

        Assert.Equal([0u, 0u, 1u, 0u, 0u, 1u], target.Metadata["lfm2.attention.head_count_kv"].AsArray<uint>());
        var names = target.Tensors.Select(t => t.Name).ToHashSet();
        Assert.Contains("token_embd_norm.weight", names);
        Assert.Contains("blk.0.shortconv.conv.weight", names);
        Assert.Contains("blk.2.attn_q.weight", names);
        Assert.DoesNotContain("blk.2.shortconv.conv.weight", names);
    }

    [Fact]
    public void Gemma3_RecordsItsSlidingWindow_AndQwen3Moe_ItsExperts()
    {
        using var temp = new TempFolder();
        ForgedArchitecturePair gemma = ArchitectureForge.GetOrCreate("gemma3", Path.Combine(temp.Path, "gemma3"));
        Assert.Equal(16, gemma.SlidingWindow);
        Assert.Equal(16, GgufReader.ReadHeader(gemma.TargetPath).Metadata["gemma3.attention.sliding_window"].AsInt64());

        ForgedArchitecturePair moe = ArchitectureForge.GetOrCreate("qwen3moe", Path.Combine(temp.Path, "moe"));
        Assert.Null(moe.SlidingWindow);
        GgufHeader header = GgufReader.ReadHeader(moe.TargetPath);
        Assert.Equal(8, header.Metadata["qwen3moe.expert_count"].AsInt64());
        Assert.Equal(2, header.Metadata["qwen3moe.expert_used_count"].AsInt64());
        Assert.Equal([64L, 64, 8], header.Tensors.Single(t => t.Name == "blk.0.ffn_gate_exps.weight").Shape);
        Assert.Equal([64L, 64, 8], header.Tensors.Single(t => t.Name == "blk.0.ffn_down_exps.weight").Shape);
    }
}
