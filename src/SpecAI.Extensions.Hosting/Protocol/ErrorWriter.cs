using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Writes errors in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal static class ErrorWriter
{
    /// <summary>Sets the status and writes the error as the whole response.</summary>
    public static async Task WriteAsync(HttpResponse response, OpenAIRequestException error, CancellationToken cancellationToken)
    {
        response.StatusCode = error.StatusCode;
        response.ContentType = "application/json";
        if (error.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteBody(writer, error);
        }

        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the error object.</summary>
    public static void WriteBody(Utf8JsonWriter writer, OpenAIRequestException error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", error.Type);
        writer.WriteString("param", error.Param);
        writer.WriteString("code", error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
