using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.LLamaSharp.Tests.Families;

/// <summary>
/// The Qwen3-style and Llama-3.1-style families (test scale, real tokenizers from ../shared/tokenizers), forged once per
/// run into a cache under the test output, with one speculative client each.
/// </summary>
public sealed class TokenizerFamilyClients : IDisposable
{
    public TokenizerFamilyClients()
    {
        string tokenizers = ForgeFamilies.FindTokenizersFolder(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException($"No 'shared/tokenizers' folder (with qwen3/ and llama3_1/) above {AppContext.BaseDirectory}. The tokenizers live beside the repository on dev machines and in CI.");
        string cache = Path.Combine(AppContext.BaseDirectory, "forged-families");
        QwenFamily = ForgeFamilies.GetOrCreate(ForgeFamilies.Qwen3, tokenizers, cache);
        LlamaFamily = ForgeFamilies.GetOrCreate(ForgeFamilies.Llama31, tokenizers, cache);
        Qwen = Create(QwenFamily);
        Llama = Create(LlamaFamily);
    }

    public ForgedFamily QwenFamily { get; }

    public ForgedFamily LlamaFamily { get; }

    public SpeculativeChatClient Qwen { get; }

    public SpeculativeChatClient Llama { get; }

    public void Dispose()
    {
        Qwen.Dispose();
        Llama.Dispose();
    }

    private static SpeculativeChatClient Create(ForgedFamily family) => new(new SpeculativeChatClientOptions
    {
        TargetModelPath = family.TargetPath,
        DraftModelPath = family.DraftPath,
        ContextSize = 1024,
        DraftLength = 4,
        Threads = 1,
        BatchSize = 128,
    });
}

[CollectionDefinition(Name)]
public sealed class TokenizerFamiliesCollection : ICollectionFixture<TokenizerFamilyClients>
{
    public const string Name = "tokenizer families";
}
