namespace SpecAI.Extensions.Hosting.Security;

/// <summary>Marks an endpoint the API key does not guard (<c>/health</c>, the chat page); Host and Origin checks still apply.</summary>
internal sealed class OpenEndpointMetadata
{
    /// <summary>The one instance.</summary>
    public static OpenEndpointMetadata Instance { get; } = new();
}
