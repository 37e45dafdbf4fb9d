using Microsoft.AspNetCore.Http;
using SpecAI.Extensions.Hosting.Protocol;

namespace SpecAI.Extensions.Hosting;

/// <summary>The plumbing the OpenAI endpoints share before they call the client: reading the request body.</summary>
internal static class EndpointRequest
{
    /// <summary>
    /// Reads the request with <paramref name="read"/>; a malformed one is answered with its OpenAI error, and a request
    /// whose caller went away is only counted. Returns <see langword="null"/> when the request was answered or abandoned.
    /// </summary>
    public static async Task<T?> ReadAsync<T>(HttpContext context, Func<Stream, CancellationToken, Task<T>> read)
        where T : class
    {
        var cancellationToken = context.RequestAborted;
        try
        {
            return await read(context.Request.Body, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenAIRequestException error)
        {
            ServerTelemetry.Record("bad_request", stream: false);
            await ErrorWriter.WriteAsync(context.Response, error, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ServerTelemetry.Record("cancelled", stream: false);
            return null;
        }
    }
}
