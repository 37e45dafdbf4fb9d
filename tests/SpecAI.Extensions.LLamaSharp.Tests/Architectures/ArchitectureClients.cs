using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.LLamaSharp.Tests.Architectures;

/// <summary>
/// Forged target/draft pairs of the architectures beyond llama (test scale, F32 weights, 512-token vocabulary), forged
/// once per run into a cache under the test output, each with one speculative client loaded on first use.
/// </summary>
public sealed class ArchitectureClients : IDisposable
{
    /// <summary>Architectures under test: hybrid with native rollback, hybrid with checkpoint and replay, sliding window, mixture of experts.</summary>
    public static readonly string[] Names = [ArchitectureForge.Qwen35, ArchitectureForge.Lfm2, ArchitectureForge.Gemma3, ArchitectureForge.Qwen3Moe];

    private readonly Dictionary<string, (ForgedArchitecturePair Pair, SpeculativeChatClient Client)> _clients = new();

    public static TheoryData<string> Architectures => new(Names);

    public ForgedArchitecturePair Pair(string architecture) => Get(architecture).Pair;

    public SpeculativeChatClient Client(string architecture) => Get(architecture).Client;

    /// <summary>A new client over the same pair (the caller disposes it): a fresh cache to compare against.</summary>
    public SpeculativeChatClient CreateClient(string architecture) => Create(Pair(architecture));

    public void Dispose()
    {
        foreach (var (_, client) in _clients.Values)
        {
            client.Dispose();
        }
    }

    internal static SpeculativeChatClient Create(ForgedArchitecturePair pair) => new(new SpeculativeChatClientOptions
    {
        TargetModelPath = pair.TargetPath,
        DraftModelPath = pair.DraftPath,
        ContextSize = 2048,
        DraftLength = 4,
        DraftCount = 2,
        Threads = 1,
        BatchSize = 128,
    });

    private (ForgedArchitecturePair Pair, SpeculativeChatClient Client) Get(string architecture)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue(architecture, out var entry))
            {
                var pair = ArchitectureForge.GetOrCreate(architecture, Path.Combine(AppContext.BaseDirectory, "forged-architectures", architecture));
                entry = (pair, Create(pair));
                _clients[architecture] = entry;
            }

            return entry;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ArchitecturesCollection : ICollectionFixture<ArchitectureClients>
{
    public const string Name = "forged architectures";
}
