using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>Clients over stories260K with each derived draft, loaded once for the test collection.</summary>
public sealed class StoriesClients : IDisposable
{
    public StoriesClients()
    {
        F16 = Create(TestModels.StoriesF16);
        Q4 = Create(TestModels.StoriesQ4);
        ThreeLayers = Create(TestModels.StoriesThreeLayers);
    }

    public SpeculativeChatClient F16 { get; }
    public SpeculativeChatClient Q4 { get; }
    public SpeculativeChatClient ThreeLayers { get; }

    public static List<ChatMessage> Prompt(string text = "Once upon a time, there was a little girl named Lily.") => [new(ChatRole.User, text)];

    public static SpeculativeChatClient Create(string draft, int draftLength = 4, int contextSize = 512) => new(new SpeculativeChatClientOptions
    {
        TargetModelPath = TestModels.Stories,
        DraftModelPath = draft,
        ContextSize = contextSize,
        DraftLength = draftLength,
        Threads = 1,
        BatchSize = 128,
    });

    public void Dispose()
    {
        F16.Dispose();
        Q4.Dispose();
        ThreeLayers.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class StoriesCollection : ICollectionFixture<StoriesClients>
{
    public const string Name = "stories260K";
}
