using Microsoft.AspNetCore.Http;

namespace SpecAI.Extensions.Hosting;

/// <summary>The chat page: one static HTML file with its CSS and JavaScript inline, embedded in this assembly (no build step).</summary>
internal static class ChatPage
{
    private const string ResourceName = "SpecAI.Extensions.Hosting.ChatPage.index.html";
    private static readonly Lazy<byte[]> Html = new(Load);

    /// <summary>Writes the page.</summary>
    public static Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        return context.Response.Body.WriteAsync(Html.Value, context.RequestAborted).AsTask();
    }

    private static byte[] Load()
    {
        using var stream = typeof(ChatPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The chat page resource '{ResourceName}' is missing from {typeof(ChatPage).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
