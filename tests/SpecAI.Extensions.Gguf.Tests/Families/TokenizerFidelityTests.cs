using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests.Families;

/// <summary>
/// llama.cpp (through LLamaSharp) tokenizes the forged families exactly as the reference JavaScript tokenizers of the npm
/// packages do (ids stored in TestData/tokenizer-reference.json): English, code, numbers, whitespace runs, accents, CJK,
/// emoji, and text that looks like special tokens. One model per distinct tokenizer layout: the drafts of qwen3 and
/// qwen25 carry the same metadata (FamilyTemplateTests compares the qwen25 pair text by text).
/// </summary>
[Collection(TokenizerFamiliesCollection.Name)]
public class TokenizerFidelityTests(TokenizerFamiliesFixture fixture)
{
    [Theory]
    [InlineData(ForgeFamilies.Qwen3, true, "qwen")]
    [InlineData(ForgeFamilies.Qwen25, true, "qwen")]
    [InlineData(ForgeFamilies.Llama31, true, "llama")]
    [InlineData(ForgeFamilies.Cross, false, "qwen")]
    public void Tokenize_MatchesReferenceTokenizer_ForEveryText(string family, bool target, string reference)
    {
        ForgedFamily forged = fixture.Families[family];
        using LLamaWeights weights = LlamaNative.Load(target ? forged.TargetPath : forged.DraftPath, out _);
        var failures = new List<string>();
        foreach (TokenizerReference.Case c in TokenizerReference.Cases)
        {
            int[] expected = reference == "qwen" ? c.Qwen : c.Llama;
            int[] expectedWithSpecial = reference == "qwen" ? c.QwenWithSpecial : c.LlamaWithSpecial;
            int[] actual = Ids(weights.Tokenize(c.Text, add_bos: false, special: true, Encoding.UTF8));
            int[] actualWithSpecial = Ids(weights.Tokenize(c.Text, add_bos: weights.Vocab.ShouldAddBOS, special: true, Encoding.UTF8));
            if (!actual.SequenceEqual(expected) || !actualWithSpecial.SequenceEqual(expectedWithSpecial))
            {
                failures.Add($"{Show(c.Text)}: expected [{string.Join(",", expected)}] got [{string.Join(",", actual)}] (with BOS flag: [{string.Join(",", actualWithSpecial)}])");
            }

            // Decoding back: texts without control tokens (the streaming decoder renders only some of them).
            string decoded = Decode(weights, actual);
            if (!actual.Any(id => ((LLamaToken)id).IsControl(weights.Vocab)) && decoded != c.Text)
            {
                failures.Add($"{Show(c.Text)} decodes back as {Show(decoded)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(TokenizerReference.Cases.Count >= 15);
    }

    [Fact]
    public void Llama31Family_ToolTokens_AreSingleControlTokens()
    {
        using LLamaWeights weights = LlamaNative.Load(fixture.Families[ForgeFamilies.Llama31].TargetPath, out _);

        Assert.Equal([128010], Ids(weights.Tokenize("<|python_tag|>", add_bos: false, special: true, Encoding.UTF8)));
        Assert.Equal([128008], Ids(weights.Tokenize("<|eom_id|>", add_bos: false, special: true, Encoding.UTF8)));
        Assert.Equal([128004], Ids(weights.Tokenize("<|finetune_right_pad_id|>", add_bos: false, special: true, Encoding.UTF8)));
        // Without special parsing a control token's text is plain text, as in Hugging Face with split_special_tokens.
        Assert.True(weights.Tokenize("<|python_tag|>", add_bos: false, special: false, Encoding.UTF8).Length > 1);
    }

    private static int[] Ids(LLamaToken[] tokens) => tokens.Select(t => (int)t).ToArray();

    private static string Decode(LLamaWeights weights, IEnumerable<int> ids)
    {
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, weights) { DecodeSpecialTokens = true };
        foreach (int id in ids)
        {
            decoder.Add(id);
        }

        return decoder.Read();
    }

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
