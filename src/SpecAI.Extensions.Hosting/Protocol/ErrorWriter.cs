using Microsoft.AspNetCore.Http;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Writes errors in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal static class ErrorWriter
{
    /// <summary>Sets the status and writes the error as the whole response.</summary>
    public static Task WriteAsync(HttpResponse response, OpenAIRequestException error, CancellationToken cancellationToken)
    {
        if (error.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }

        return ResponseJson.WriteAsync(response, error.StatusCode, Body(error), ProtocolJsonContext.Default.ErrorEnvelopeDto, cancellationToken);
    }

    /// <summary>The error object.</summary>
    public static ErrorEnvelopeDto Body(OpenAIRequestException error)
        => new() { Error = new() { Message = error.Message, Type = error.Type, Param = error.Param, Code = error.Code } };
}
