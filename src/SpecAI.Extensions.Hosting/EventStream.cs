using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SpecAI.Extensions.Hosting;

/// <summary>The start of a server-sent-events answer, shared by every streaming endpoint.</summary>
internal static class EventStream
{
    /// <summary>Sends a 200 <c>text/event-stream</c> head with caching and proxy buffering off, so events reach the caller as written.</summary>
    public static Task StartAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return response.StartAsync(cancellationToken);
    }
}
