using System.Text.Json;

namespace SpecAI.Extensions.Gguf.Tests.Families;

/// <summary>Reference token ids from the npm packages' JavaScript tokenizers (TestData/tokenizer-reference.json; see TestData/README.md).</summary>
internal static class TokenizerReference
{
    private static readonly Lazy<IReadOnlyList<Case>> All = new(Load);

    public static IReadOnlyList<Case> Cases => All.Value;

    public static IEnumerable<object[]> Indices => Enumerable.Range(0, Cases.Count).Select(i => new object[] { i });

    private static IReadOnlyList<Case> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizer-reference.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("text").GetString()!,
            Ids(c, "qwen3"), Ids(c, "qwen3_with_special"), Ids(c, "llama3_1"), Ids(c, "llama3_1_with_special"))).ToList();
    }

    private static int[] Ids(JsonElement element, string name) => element.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public sealed record Case(string Text, int[] Qwen, int[] QwenWithSpecial, int[] Llama, int[] LlamaWithSpecial);
}
