using System.Text.Json;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests.Families;

/// <summary>The Hugging Face tokenizer reader, padding and the draft-to-target map on tiny hand-written tokenizers (no shared files).</summary>
public class ForgeTokenizerTests
{
    private const string QwenRegex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string LlamaRegex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [Fact]
    public void FromTokenizer_QwenStyle_TokensInIdOrder_GapsUnused_AddedTokensTyped_MergesJoined()
    {
        using var temp = new TempFolder();
        string path = Write(temp, QwenRegex, new Dictionary<string, int> { ["a"] = 0, ["b"] = 1, ["ab"] = 2, ["Ġ"] = 3, ["Ġab"] = 4 },
            [new[] { "a", "b" }, new[] { "Ġ", "ab" }], [(6, "<|im_end|>", true), (7, "<tool_call>", false)],
            new { eos_token = "<|im_end|>", pad_token = (string?)null, add_bos_token = false, chat_template = "{{ messages }}" });

        ForgeVocabulary vocabulary = ForgeVocabulary.FromTokenizer(path);

        Assert.Equal(["a", "b", "ab", "Ġ", "Ġab", "[PAD5]", "<|im_end|>", "<tool_call>"], vocabulary.Tokens);
        Assert.Equal(
            [LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Unused, LlamaTokenType.Control, LlamaTokenType.UserDefined],
            vocabulary.TokenTypes);
        Assert.Equal(["a b", "Ġ ab"], vocabulary.Merges);
        Assert.Equal(ForgeVocabulary.ByteLevelModel, vocabulary.Model);
        Assert.Equal("qwen2", vocabulary.PreTokenizer);
        Assert.Equal("{{ messages }}", vocabulary.ChatTemplate);
        Assert.Equal(6, vocabulary.EndOfSequence);
        Assert.Equal(6, vocabulary.EndOfTurn);
        Assert.Equal(6, vocabulary.BeginOfSequence); // no BOS and no pad token: EOS stands in
        Assert.False(vocabulary.Special.AddBeginOfSequence);
        Assert.Empty(vocabulary.Scores);
        Assert.Equal(8, vocabulary.RealCount);
        Assert.True(vocabulary.IsSampled(6));
        Assert.False(vocabulary.IsSampled(5));
        Assert.False(vocabulary.IsSampled(7));
    }

    [Fact]
    public void FromTokenizer_LlamaStyle_BosFromThePostProcessor_StringMerges_Renames_Padding()
    {
        using var temp = new TempFolder();
        string path = Write(temp, LlamaRegex, new Dictionary<string, int> { ["a"] = 0, ["b"] = 1, ["ab"] = 2 },
            ["a b"], [(3, "<|begin_of_text|>", true), (4, "<|reserved_special_token_4|>", true), (5, "<|eot_id|>", true)],
            new { bos_token = "<|begin_of_text|>", eos_token = "<|eot_id|>" }, bosInPostProcessor: "<|begin_of_text|>");

        ForgeVocabulary vocabulary = ForgeVocabulary.FromTokenizer(path, size: 10, ForgeFamilies.Llama31ToolTokens);

        Assert.Equal("llama-bpe", vocabulary.PreTokenizer);
        Assert.Equal(["a b"], vocabulary.Merges);
        Assert.Equal(3, vocabulary.BeginOfSequence);
        Assert.True(vocabulary.Special.AddBeginOfSequence);
        Assert.Equal(5, vocabulary.EndOfSequence);
        Assert.Equal(5, vocabulary.EndOfTurn);
        Assert.Equal("<|eom_id|>", vocabulary.Tokens[4]);
        Assert.Equal(4, vocabulary.Special.EndOfMessage);
        Assert.Equal(10, vocabulary.Count);
        Assert.Equal(6, vocabulary.RealCount);
        Assert.Equal(["[PAD6]", "[PAD7]", "[PAD8]", "[PAD9]"], vocabulary.Tokens.Skip(6));
        Assert.All(vocabulary.TokenTypes.Skip(6), t => Assert.Equal(LlamaTokenType.Unused, t));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.PadTo(9));
        Assert.Same(vocabulary, vocabulary.PadTo(10));
    }

    [Fact]
    public void FromTokenizer_BadInput_ThrowsTypedErrorsNamingTheFile()
    {
        using var temp = new TempFolder();
        var vocab = new Dictionary<string, int> { ["a"] = 0 };

        string unknownRegex = Write(temp, @"\s+", vocab, [], [(1, "</s>", true)], new { eos_token = "</s>" });
        Assert.Contains("pre-tokenizer", Assert.Throws<InvalidDataException>(() => ForgeVocabulary.FromTokenizer(unknownRegex)).Message);

        string noEos = Write(temp, QwenRegex, vocab, [], [(1, "</s>", true)], new { eos_token = "<|missing|>" });
        Assert.Contains("<|missing|>", Assert.Throws<InvalidDataException>(() => ForgeVocabulary.FromTokenizer(noEos)).Message);

        string wordPiece = Write(temp, QwenRegex, vocab, [], [(1, "</s>", true)], new { eos_token = "</s>" }, model: "WordPiece");
        Assert.Contains("byte-level BPE", Assert.Throws<InvalidDataException>(() => ForgeVocabulary.FromTokenizer(wordPiece)).Message);

        File.Delete(Path.Combine(Path.GetDirectoryName(wordPiece)!, "tokenizer_config.json"));
        Assert.Throws<FileNotFoundException>(() => ForgeVocabulary.FromTokenizer(wordPiece));

        var options = new LlamaFamilyOptions { TokenizerPath = unknownRegex, VocabularySize = 1 };
        Assert.Throws<InvalidDataException>(() => LlamaModelForge.Vocabularies(options));
        Assert.Throws<ArgumentException>(() => new LlamaFamilyOptions { DraftTokenizerPath = unknownRegex }.Validate());
    }

    [Fact]
    public void Vocabularies_SizeBelowTheTokenizer_IsAnArgumentError()
    {
        using var temp = new TempFolder();
        string path = Write(temp, QwenRegex, new Dictionary<string, int> { ["a"] = 0, ["b"] = 1 }, [], [(2, "<|im_end|>", true)], new { eos_token = "<|im_end|>" });

        var error = Assert.Throws<ArgumentException>(() => LlamaModelForge.Vocabularies(new LlamaFamilyOptions { TokenizerPath = path, VocabularySize = 2 }));
        Assert.Equal("VocabularySize", error.ParamName);
        var (target, draft) = LlamaModelForge.Vocabularies(new LlamaFamilyOptions { TokenizerPath = path, VocabularySize = 8, DraftVocabularySize = 5 });
        Assert.Equal(8, target.Count);
        Assert.Equal(5, draft.Count);
    }

    [Fact]
    public void VocabularyMap_MatchesByText_AndSpecialTokensByRole()
    {
        var special = new ForgeSpecialTokens { BeginOfSequence = 0, EndOfSequence = 1 };
        var target = ForgeVocabulary.ByteLevel(["<bos>", "<eos>", "x", "y", "z", "[PAD5]"],
            [LlamaTokenType.Control, LlamaTokenType.Control, LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Unused], [], "qwen2", special);
        var draft = ForgeVocabulary.ByteLevel(["<s>", "</s>", "z", "w", "x", "[PAD5]"],
            [LlamaTokenType.Control, LlamaTokenType.Control, LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Normal, LlamaTokenType.Unused], [], "qwen2", special);

        var map = VocabularyMap.Create(target, draft);

        Assert.Equal([0, 1, 4, -1, 2, -1], map.DraftToTarget);
        Assert.Equal([true, true, true, false, true, false], map.TargetCovered);
        Assert.False(map.CoversSampledTargetTokens(target)); // "y" has no draft counterpart
        Assert.True(VocabularyMap.Create(target, target.PadTo(8)).CoversSampledTargetTokens(target));
    }

    [Fact]
    public void WriteFamily_DifferentVocabularies_DraftRealisesTheTargetOnSharedTexts_ForeignTokensNeverSampled()
    {
        using var temp = new TempFolder();
        var special = new ForgeSpecialTokens { BeginOfSequence = 0, EndOfSequence = 1 };
        LlamaTokenType[] Types(int n) => [LlamaTokenType.Control, LlamaTokenType.Control, .. Enumerable.Repeat(LlamaTokenType.Normal, n - 2)];
        string[] targetTokens = ["<bos>", "<eos>", .. Enumerable.Range(0, 298).Select(i => $"t{i}")];
        // The draft: the first 150 pieces under reversed ids, then 100 pieces the target lacks, other special texts.
        string[] draftTokens = ["<s>", "</s>", .. Enumerable.Range(0, 150).Reverse().Select(i => $"t{i}"), .. Enumerable.Range(0, 100).Select(i => $"f{i}")];
        var target = ForgeVocabulary.ByteLevel(targetTokens, Types(targetTokens.Length), [], "qwen2", special);
        var draft = ForgeVocabulary.ByteLevel(draftTokens, Types(draftTokens.Length), [], "qwen2", special).PadTo(260);
        var options = new LlamaFamilyOptions
        {
            Target = new(64, 1, 64, 2), Draft = new(32, 1, 64, 1), TargetEntropy = 2, CalibrationSamples = 64, WeightType = GgufTensorType.F32,
        };

        ForgedFamily family = LlamaModelForge.WriteFamily(options, target, draft, temp.File("t.gguf"), temp.File("d.gguf"));

        Assert.Equal((300, 260), (family.TargetVocabularySize, family.DraftVocabularySize));
        float[] targetOut = GgufReader.Read(family.TargetPath).GetTensor("output.weight").ToFloats();
        float[] draftOut = GgufReader.Read(family.DraftPath).GetTensor("output.weight").ToFloats();
        int rank = options.EffectiveBigramRank;
        float scale = MathF.Sqrt(32 / 2f) / MathF.Sqrt(64); // draft rows are B / sqrt(nd/2), target rows B / sqrt(nt)
        foreach ((int d, int t) in new[] { (2, 151), (151, 2), (1, 1) })
        {
            for (int i = 0; i < rank; i++)
            {
                Assert.Equal(targetOut[(t * 64) + i], draftOut[(d * 32) + i] * scale, 5);
            }
        }

        foreach (int foreign in new[] { 152, 251, 255 }) // f0, f99 and a padding slot
        {
            Assert.True(draftOut[foreign * 32] < 0);
            Assert.All(draftOut.AsSpan((foreign * 32) + 1, 31).ToArray(), x => Assert.Equal(0f, x));
        }

        Assert.InRange(family.CalibratedAgreement, 0.3, 0.85); // lower than asked when the target's favourite lies outside the draft
    }

    [Fact]
    public void FlipThreshold_OnlyCountsTokensTheDraftHas()
    {
        float[] logits = [3, 2, 1];
        float[] noise = [0, 2, 1];

        Assert.Equal(0.5, BigramPlan.FlipThreshold(logits, noise), 12);
        Assert.Equal(2.0, BigramPlan.FlipThreshold(logits, noise, [true, false, true]), 12);
        Assert.Equal(0.0, BigramPlan.FlipThreshold(logits, noise, [false, true, true]));
    }

    private static string Write(
        TempFolder temp, string regex, Dictionary<string, int> vocab, object[] merges, (int Id, string Content, bool Special)[] added, object config,
        string? bosInPostProcessor = null, string model = "BPE")
    {
        string folder = Path.Combine(temp.Path, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var tokenizer = new
        {
            added_tokens = added.Select(a => new { id = a.Id, content = a.Content, special = a.Special }),
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = regex }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
                },
            },
            post_processor = bosInPostProcessor is null ? null : new
            {
                type = "Sequence",
                processors = new object[]
                {
                    new { type = "ByteLevel" },
                    new { type = "TemplateProcessing", single = new object[] { new { SpecialToken = new { id = bosInPostProcessor, type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } } },
                },
            },
            model = new { type = model, vocab, merges },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(tokenizer));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(config));
        return Path.Combine(folder, "tokenizer.json");
    }
}
