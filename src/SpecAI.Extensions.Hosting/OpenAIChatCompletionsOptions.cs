namespace SpecAI.Extensions.Hosting;

/// <summary>Settings of the endpoints mapped by <c>MapOpenAIChatCompletions</c>. Flat, so it binds from configuration.</summary>
public sealed class OpenAIChatCompletionsOptions
{
    /// <summary>The key of a keyed <c>IChatClient</c> registration to serve; null serves the unkeyed one.</summary>
    public object? ServiceKey { get; set; }

    /// <summary>The model id listed by <c>/v1/models</c> and returned in responses; null takes the client's <c>ChatClientMetadata.DefaultModelId</c>.</summary>
    public string? ModelId { get; set; }

    /// <summary>Whether <c>GET /</c> serves the chat page (static HTML and JavaScript). Default true.</summary>
    public bool MapChatPage { get; set; } = true;

    /// <summary>Whether <c>GET /health</c> reports whether the chat client can be resolved. Default true.</summary>
    public bool MapHealth { get; set; } = true;
}
