using System.Text.Json;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests.Families;

/// <summary>The GGUF tokenizer encoding of the named families, checked against the tokenizer files read independently here.</summary>
[Collection(TokenizerFamiliesCollection.Name)]
public class FamilyMetadataTests(TokenizerFamiliesFixture fixture)
{
    [Theory]
    [InlineData(ForgeFamilies.Qwen3, 151_936, 151_936)]
    [InlineData(ForgeFamilies.Qwen25, 152_064, 151_936)]
    [InlineData(ForgeFamilies.Llama31, 128_256, 128_256)]
    [InlineData(ForgeFamilies.Cross, 128_256, 151_936)]
    public void Family_HasItsVocabularySizes_AndForgesQuickly(string name, int target, int draft)
    {
        ForgedFamily family = fixture.Families[name];

        Assert.Equal(target, family.TargetVocabularySize);
        Assert.Equal(draft, family.DraftVocabularySize);
        // About a minute on 2 idle cores; generous here because other test projects share the CPU.
        Assert.True(fixture.ForgeTimes[name] < TimeSpan.FromMinutes(3), $"forging {name} took {fixture.ForgeTimes[name]}");
        Assert.InRange(family.CalibratedAgreement, 0.75, 0.85);
        Assert.InRange(family.MeanEndOfSequenceProbability, 0.0005, 0.05);
    }

    [Theory]
    [InlineData(ForgeFamilies.Qwen3, true)]
    [InlineData(ForgeFamilies.Qwen25, true)]
    [InlineData(ForgeFamilies.Llama31, true)]
    [InlineData(ForgeFamilies.Cross, false)]
    public void Tokenizer_IsWrittenAsLlamaCppByteLevelBpe(string name, bool target)
    {
        ForgedFamily family = fixture.Families[name];
        bool qwen = name.StartsWith("qwen", StringComparison.Ordinal) || (name == ForgeFamilies.Cross && !target);
        string folder = Path.Combine(fixture.TokenizersFolder, qwen ? ForgeFamilies.QwenTokenizerFolder : ForgeFamilies.LlamaTokenizerFolder);
        using JsonDocument tokenizer = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "tokenizer.json")));
        using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "tokenizer_config.json")));
        var meta = GgufReader.ReadHeader(target ? family.TargetPath : family.DraftPath).Metadata;
        string[] tokens = meta["tokenizer.ggml.tokens"].AsArray<string>();
        int[] types = meta["tokenizer.ggml.token_type"].AsArray<int>();
        string[] merges = meta["tokenizer.ggml.merges"].AsArray<string>();
        JsonElement model = tokenizer.RootElement.GetProperty("model");

        Assert.Equal("gpt2", meta["tokenizer.ggml.model"].AsString());
        Assert.Equal(qwen ? "qwen2" : "llama-bpe", meta["tokenizer.ggml.pre"].AsString());
        Assert.Equal(config.RootElement.GetProperty("chat_template").GetString(), meta["tokenizer.chat_template"].AsString());
        Assert.Equal(model.GetProperty("merges").GetArrayLength(), merges.Length);
        JsonElement firstMerge = model.GetProperty("merges")[0];
        Assert.Equal(firstMerge.ValueKind == JsonValueKind.Array ? $"{firstMerge[0].GetString()} {firstMerge[1].GetString()}" : firstMerge.GetString(), merges[0]);
        foreach (JsonProperty entry in model.GetProperty("vocab").EnumerateObject().Where((_, i) => i % 997 == 0))
        {
            Assert.Equal(entry.Name, tokens[entry.Value.GetInt32()]);
            Assert.Equal((int)LlamaTokenType.Normal, types[entry.Value.GetInt32()]);
        }

        int realCount = 0;
        foreach (JsonElement added in tokenizer.RootElement.GetProperty("added_tokens").EnumerateArray())
        {
            int id = added.GetProperty("id").GetInt32();
            realCount = Math.Max(realCount, id + 1);
            var expected = added.GetProperty("special").GetBoolean() ? LlamaTokenType.Control : LlamaTokenType.UserDefined;
            Assert.Equal((int)expected, types[id]);
            if (!added.GetProperty("content").GetString()!.StartsWith("<|reserved_special_token_", StringComparison.Ordinal))
            {
                Assert.Equal(added.GetProperty("content").GetString(), tokens[id]);
            }
        }

        for (int id = realCount; id < tokens.Length; id++)
        {
            Assert.Equal($"[PAD{id}]", tokens[id]);
            Assert.Equal((int)LlamaTokenType.Unused, types[id]);
        }

        int Id(string text) => Array.IndexOf(tokens, text);
        long MetaId(string key) => meta[$"tokenizer.ggml.{key}_token_id"].AsInt64();
        if (qwen)
        {
            Assert.Equal(Id("<|endoftext|>"), MetaId("bos"));
            Assert.Equal(Id("<|im_end|>"), MetaId("eos"));
            Assert.Equal(Id("<|im_end|>"), MetaId("eot"));
            Assert.Equal(Id("<|endoftext|>"), MetaId("padding"));
            Assert.Equal(0, meta["tokenizer.ggml.add_bos_token"].AsInt64());
            Assert.Equal((int)LlamaTokenType.UserDefined, types[Id("<tool_call>")]);
        }
        else
        {
            Assert.Equal(Id("<|begin_of_text|>"), MetaId("bos"));
            Assert.Equal(Id("<|eot_id|>"), MetaId("eos"));
            Assert.Equal(Id("<|eot_id|>"), MetaId("eot"));
            Assert.Equal(128_008, MetaId("eom"));
            Assert.Equal("<|python_tag|>", tokens[128_010]);
            Assert.Equal(1, meta["tokenizer.ggml.add_bos_token"].AsInt64());
        }
    }

    [Fact]
    public void PaddingRows_AreZero_InTheEmbedding_AndOnlyTheBiasInTheOutput()
    {
        ForgedFamily family = fixture.Families[ForgeFamilies.Qwen25];
        GgufFile file = GgufReader.Read(family.TargetPath);
        float[] embedding = file.GetTensor("token_embd.weight").ToFloats();
        float[] output = file.GetTensor("output.weight").ToFloats();
        int width = family.Options.Target.EmbeddingLength;

        foreach (int id in new[] { 151_669, 151_936, 152_063 })
        {
            Assert.All(embedding.AsSpan(id * width, width).ToArray(), x => Assert.Equal(0f, x));
            Assert.True(output[id * width] < 0);
            Assert.All(output.AsSpan((id * width) + 1, width - 1).ToArray(), x => Assert.Equal(0f, x));
        }

        Assert.Contains(embedding.AsSpan(1000 * width, width).ToArray(), x => x != 0);
    }
}
