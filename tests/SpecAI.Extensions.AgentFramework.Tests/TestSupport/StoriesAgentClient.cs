using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.AgentFramework.Tests.TestSupport;

/// <summary>
/// One speculative client over stories260K with its F16 draft (greedy agreement 120/120, so drafts are accepted),
/// loaded once for the collection. Tool declarations and instructions make long prompts on the 512-token vocabulary:
/// the context holds 2,048 tokens.
/// </summary>
public sealed class StoriesAgentClient : IDisposable
{
    public SpeculativeChatClient Client { get; } = new(new SpeculativeChatClientOptions
    {
        TargetModelPath = TestModels.Stories,
        DraftModelPath = TestModels.StoriesF16,
        ContextSize = 2048,
        DraftLength = 4,
        Threads = 1,
        BatchSize = 128,
    });

    /// <summary>Greedy, short answers: deterministic and fast.</summary>
    public static ChatOptions Greedy(int maxOutputTokens = 24) => new() { Temperature = 0, MaxOutputTokens = maxOutputTokens };

    public void Dispose() => Client.Dispose();
}

[CollectionDefinition(Name)]
public sealed class StoriesAgentCollection : ICollectionFixture<StoriesAgentClient>
{
    public const string Name = "stories260K agent";
}
