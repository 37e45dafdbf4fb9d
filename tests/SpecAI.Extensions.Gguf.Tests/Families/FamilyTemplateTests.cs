using System.Text;
using LLama;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests.Families;

/// <summary>llama.cpp recognises the families' chat templates and end-of-generation tokens, and the pairs hold what llama.cpp's compatibility rule checks.</summary>
[Collection(TokenizerFamiliesCollection.Name)]
public class FamilyTemplateTests(TokenizerFamiliesFixture fixture)
{
    [Fact]
    public void Qwen3_TemplateIsChatMl_ThinkAndToolTokensAreSingleTokens()
    {
        using LLamaWeights weights = LlamaNative.Load(fixture.Families[ForgeFamilies.Qwen3].TargetPath, out _);
        string rendered = Apply(weights, ("system", "Be brief."), ("user", "Hi"), ("assistant", "<think>\nhmm\n</think>\n\nHello!"), ("user", "Weather?"));

        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nhmm\n</think>\n\nHello!<|im_end|>\n"
            + "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n",
            rendered);
        int[] tokens = Ids(weights.Tokenize(rendered, weights.Vocab.ShouldAddBOS, special: true, Encoding.UTF8));
        Assert.Equal(151_644, tokens[0]); // no BOS: Qwen adds none
        Assert.Equal(5, tokens.Count(t => t == 151_644));
        Assert.Equal(4, tokens.Count(t => t == 151_645));
        Assert.Contains(151_667, tokens); // <think>
        Assert.Contains(151_668, tokens); // </think>
        Assert.Equal([151_657, 151_658, 151_665, 151_666], Ids(weights.Tokenize("<tool_call></tool_call><tool_response></tool_response>", false, special: false, Encoding.UTF8)));
    }

    [Fact]
    public void Llama31_TemplateUsesHeaderIds_AndBosIsAddedOnce()
    {
        using LLamaWeights weights = LlamaNative.Load(fixture.Families[ForgeFamilies.Llama31].TargetPath, out _);
        string rendered = Apply(weights, ("system", "Be brief."), ("user", "Hi"));

        Assert.Equal("<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
        int[] tokens = Ids(weights.Tokenize(rendered, weights.Vocab.ShouldAddBOS, special: true, Encoding.UTF8));
        Assert.Equal([128_000, 128_006], tokens[..2]);
        Assert.Single(tokens, t => t == 128_000);
        Assert.Equal(3, tokens.Count(t => t == 128_006));
        Assert.Equal(3, tokens.Count(t => t == 128_007));
        Assert.Equal(2, tokens.Count(t => t == 128_009));
        Assert.Equal(271, tokens[^1]); // "\n\n" after the open assistant header
    }

    [Theory]
    [InlineData(ForgeFamilies.Qwen3, 151_643, 151_645, new[] { 151_643, 151_645 }, new[] { 151_644, 151_657 })]
    [InlineData(ForgeFamilies.Llama31, 128_000, 128_009, new[] { 128_001, 128_008, 128_009 }, new[] { 128_000, 128_006, 128_010 })]
    public void EndOfGenerationTokens_AreTheFamilys(string name, int bos, int eos, int[] endOfGeneration, int[] notEnd)
    {
        using LLamaWeights weights = LlamaNative.Load(fixture.Families[name].TargetPath, out _);
        var vocab = weights.Vocab;

        Assert.Equal(bos, (int)vocab.BOS!.Value);
        Assert.Equal(eos, (int)vocab.EOS!.Value);
        Assert.Equal(eos, (int)vocab.EOT!.Value);
        Assert.All(endOfGeneration, t => Assert.True(((LLamaToken)t).IsEndOfGeneration(vocab), $"{t} should end generation"));
        Assert.All(notEnd, t => Assert.False(((LLamaToken)t).IsEndOfGeneration(vocab), $"{t} should not end generation"));
    }

    [Fact]
    public void Qwen3_LlamaCppAlsoEndsOnTheTextsItListsItself()
    {
        // llama.cpp adds end-of-generation tokens by text, in every vocabulary: Qwen's FIM tokens and even its ordinary
        // token "</s>" (id 128247) become EOG, as they do for real Qwen GGUFs. A vocabulary mapping must expect it.
        using LLamaWeights weights = LlamaNative.Load(fixture.Families[ForgeFamilies.Qwen3].TargetPath, out _);
        var eog = Enumerable.Range(0, weights.Vocab.Count).Where(t => ((LLamaToken)t).IsEndOfGeneration(weights.Vocab)).ToArray();

        Assert.Equal([128_247, 151_643, 151_645, 151_662, 151_663, 151_664], eog);
    }

    [Fact]
    public void Qwen25Pair_SharesEveryTokenText_UpToTheDraftSize()
    {
        ForgedFamily family = fixture.Families[ForgeFamilies.Qwen25];
        using LLamaWeights target = LlamaNative.Load(family.TargetPath, out _);
        using LLamaWeights draft = LlamaNative.Load(family.DraftPath, out _);

        Assert.Equal(152_064, target.Vocab.Count);
        Assert.Equal(151_936, draft.Vocab.Count);
        Assert.Equal(target.Vocab.Type, draft.Vocab.Type);
        Assert.Equal(target.Vocab.BOS, draft.Vocab.BOS);
        Assert.Equal(target.Vocab.EOS, draft.Vocab.EOS);
        for (int t = 0; t < draft.Vocab.Count; t++)
        {
            Assert.Equal(target.Vocab.LLamaTokenToString((LLamaToken)t, true), draft.Vocab.LLamaTokenToString((LLamaToken)t, true));
        }

        foreach (TokenizerReference.Case c in TokenizerReference.Cases)
        {
            Assert.Equal(Ids(target.Tokenize(c.Text, false, true, Encoding.UTF8)), Ids(draft.Tokenize(c.Text, false, true, Encoding.UTF8)));
        }
    }

    [Fact]
    public void CrossPair_DraftCoversMostTargetTexts_ButNotAll()
    {
        var (target, draft) = LlamaModelForge.Vocabularies(fixture.Families[ForgeFamilies.Cross].Options);
        var draftTexts = draft.Tokens.ToHashSet(StringComparer.Ordinal);
        int shared = Enumerable.Range(0, target.Count).Count(t => target.TokenTypes[t] == LlamaTokenType.Normal && draftTexts.Contains(target.Tokens[t]));

        Assert.Equal(ForgeVocabulary.ByteLevelModel, draft.Model);
        Assert.Equal("llama-bpe", target.PreTokenizer);
        Assert.Equal("qwen2", draft.PreTokenizer);
        Assert.InRange(shared, 64_000, 127_999); // byte-level pieces spelled the same way in both; Llama's extra pieces are not in Qwen's
    }

    private static string Apply(LLamaWeights weights, params (string Role, string Content)[] turns)
    {
        var template = new LLamaTemplate(weights, strict: true) { AddAssistant = true };
        foreach (var (role, content) in turns)
        {
            template.Add(role, content);
        }

        return Encoding.UTF8.GetString(template.Apply());
    }

    private static int[] Ids(LLamaToken[] tokens) => tokens.Select(t => (int)t).ToArray();
}
