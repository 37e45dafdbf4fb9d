using System.Diagnostics;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests.Families;

/// <summary>
/// Forges the four named families (test scale) once per run from ../shared/tokenizers into a cache under the test
/// output (kept between runs of the same build: the file names encode options, format version and tokenizer hashes).
/// </summary>
public sealed class TokenizerFamiliesFixture
{
    public TokenizerFamiliesFixture()
    {
        TokenizersFolder = ForgeFamilies.FindTokenizersFolder(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException($"No 'shared/tokenizers' folder (with qwen3/ and llama3_1/) above {AppContext.BaseDirectory}. The tokenizers live beside the repository on dev machines and in CI.");
        CacheDirectory = Path.Combine(AppContext.BaseDirectory, "forged-families");
        foreach (string name in ForgeFamilies.Names)
        {
            var clock = Stopwatch.StartNew();
            Families[name] = ForgeFamilies.GetOrCreate(name, TokenizersFolder, CacheDirectory);
            ForgeTimes[name] = clock.Elapsed;
        }
    }

    public string TokenizersFolder { get; }

    public string CacheDirectory { get; }

    public Dictionary<string, ForgedFamily> Families { get; } = new();

    /// <summary>Time to forge (or, when cached, to find) each family in this run.</summary>
    public Dictionary<string, TimeSpan> ForgeTimes { get; } = new();

    public string Tokenizer(string folder) => Path.Combine(TokenizersFolder, folder, "tokenizer.json");
}

[CollectionDefinition(Name)]
public sealed class TokenizerFamiliesCollection : ICollectionFixture<TokenizerFamiliesFixture>
{
    public const string Name = "tokenizer families";
}
