using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Tests.TestSupport;

/// <summary>Shows each request's messages and (cloned) options to a callback that may change the options.</summary>
public sealed class InterceptingChatClient(IChatClient inner, Action<IList<ChatMessage>, ChatOptions> intercept) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        options = options?.Clone() ?? new ChatOptions();
        intercept(list, options);
        return base.GetResponseAsync(list, options, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        options = options?.Clone() ?? new ChatOptions();
        intercept(list, options);
        return base.GetStreamingResponseAsync(list, options, cancellationToken);
    }
}
