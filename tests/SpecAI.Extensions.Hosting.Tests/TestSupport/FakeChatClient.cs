using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Tests.TestSupport;

/// <summary>A chat client that records what it was asked and answers with scripted updates (protocol tests need no model).</summary>
public sealed class FakeChatClient : IChatClient
{
    /// <summary>The last request's messages.</summary>
    public List<ChatMessage>? Messages { get; private set; }

    /// <summary>The last request's options.</summary>
    public ChatOptions? Options { get; private set; }

    /// <summary>Makes the updates of an answer (default: "Hello world" in two updates with usage).</summary>
    public Func<IReadOnlyList<ChatResponseUpdate>> Script { get; set; } = () =>
    [
        new(ChatRole.Assistant, "Hello"),
        new(ChatRole.Assistant, " world"),
        new(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 3, OutputTokenCount = 2, TotalTokenCount = 5 })]) { FinishReason = ChatFinishReason.Stop },
    ];

    /// <summary>Thrown when a request arrives (before any update), if set.</summary>
    public Exception? ThrowOnRequest { get; set; }

    /// <summary>Thrown after the first update, if set.</summary>
    public Exception? ThrowAfterFirstUpdate { get; set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Messages = messages.ToList();
        Options = options;
        return ThrowOnRequest is { } error ? throw error : StreamAsync(cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, "fake-model") : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool first = true;
        foreach (var update in Script())
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            if (!first && ThrowAfterFirstUpdate is { } error)
            {
                throw error;
            }

            first = false;
            yield return update;
        }
    }
}
