using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Tests.TestSupport;

/// <summary>Streams "tick" every few milliseconds until cancelled (a generation that outlives a shutdown's drain time).</summary>
public sealed class EndlessChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => StreamAsync(cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("endless", null, "endless-model") : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(10, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, "tick ");
        }
    }
}
