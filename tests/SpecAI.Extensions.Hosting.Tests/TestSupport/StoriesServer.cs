using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Tests.TestSupport;

/// <summary>
/// One server over stories260K (target) with its Q4_0 draft (~83% greedy agreement, so drafts are both accepted and
/// rejected), loaded once for the collection. <see cref="Intercept"/> lets a test change the options the speculative
/// client receives (for example to force a tool call through a grammar) and see the messages it was given.
/// </summary>
public sealed class StoriesServer : IAsyncLifetime
{
    private LoopbackServer? _server;

    /// <summary>The speculative client behind the server.</summary>
    public SpeculativeChatClient Client { get; } = new(new SpeculativeChatClientOptions
    {
        TargetModelPath = TestModels.Stories,
        DraftModelPath = TestModels.StoriesQ4,
        ContextSize = 2048,
        DraftLength = 4,
        Threads = 1,
        BatchSize = 256,
    });

    /// <summary>The running server.</summary>
    public LoopbackServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>Called with each request's messages and options before they reach the speculative client; null for none.</summary>
    public Action<IList<ChatMessage>, ChatOptions>? Intercept { get; set; }

    /// <summary>The middleware the server serves: <see cref="Intercept"/>, then the speculative client.</summary>
    public IChatClient Pipeline => new InterceptingChatClient(Client, (messages, options) => Intercept?.Invoke(messages, options));

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync(Pipeline, metrics: true);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Client.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class StoriesServerCollection : ICollectionFixture<StoriesServer>
{
    public const string Name = "stories260K server";
}
