using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SpecAI.Extensions.Hosting.Protocol;

namespace SpecAI.Extensions.Hosting.Security;

/// <summary>
/// Limits that protect the native process, checked before a request reaches an endpoint: the body's content type and
/// size, then counts and sizes inside the JSON (messages, stop sequences, tools, schemas). The body is read once into
/// memory (at most <see cref="OpenAIChatCompletionsOptions.MaxRequestBodyBytes"/>) and handed on as a seekable stream.
/// </summary>
internal sealed class RequestLimits(OpenAIChatCompletionsOptions options)
{
    /// <summary>The error for the body, or null when it may go on; on success the request's body is the buffered copy.</summary>
    public async Task<OpenAIRequestException?> CheckAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return new OpenAIRequestException(StatusCodes.Status415UnsupportedMediaType, $"Request bodies must be 'application/json'; got '{request.ContentType}'.", null, code: "unsupported_media_type");
        }

        long max = options.MaxRequestBodyBytes;
        if (request.ContentLength > max)
        {
            return TooLarge(max);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature && sizeFeature.MaxRequestBodySize < max + 1)
        {
            // The server's own cap (Kestrel: 30 MB) must not undercut ours; ours is enforced below while reading.
            sizeFeature.MaxRequestBodySize = max + 1;
        }

        var body = new MemoryStream();
        byte[] chunk = new byte[16 << 10];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > max)
            {
                return TooLarge(max);
            }

            body.Write(chunk, 0, read);
        }

        body.Position = 0;
        request.Body = body;
        return CheckJson(body.GetBuffer().AsMemory(0, (int)body.Length));
    }

    /// <summary>Whether a content type is JSON (<c>application/json</c>, any parameters such as charset).</summary>
    public static bool IsJson(string? contentType)
        => contentType is not null
            && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first limit the JSON breaks, or null; malformed JSON is left to the endpoint's own reader.</summary>
    public OpenAIRequestException? CheckJson(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array && messages.GetArrayLength() > options.MaxMessages)
            {
                return Limit("messages", $"has {messages.GetArrayLength()} entries; at most {options.MaxMessages} are accepted", nameof(options.MaxMessages));
            }

            if (root.TryGetProperty("stop", out var stop) && CheckStop(stop) is { } stopError)
            {
                return stopError;
            }

            if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
            {
                if (tools.GetArrayLength() > options.MaxTools)
                {
                    return Limit("tools", $"has {tools.GetArrayLength()} entries; at most {options.MaxTools} are accepted", nameof(options.MaxTools));
                }

                int i = 0;
                foreach (var tool in tools.EnumerateArray())
                {
                    if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
                        && function.TryGetProperty("parameters", out var parameters) && CheckSchema(parameters, $"tools[{i}].function.parameters") is { } toolError)
                    {
                        return toolError;
                    }

                    i++;
                }
            }

            if (root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object
                && format.TryGetProperty("json_schema", out var jsonSchema) && jsonSchema.ValueKind == JsonValueKind.Object
                && jsonSchema.TryGetProperty("schema", out var schema))
            {
                return CheckSchema(schema, "response_format.json_schema.schema");
            }

            return null;
        }
    }

    private OpenAIRequestException? CheckStop(JsonElement stop)
    {
        if (stop.ValueKind == JsonValueKind.String)
        {
            return CheckStopLength(stop, "stop");
        }

        if (stop.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        if (stop.GetArrayLength() > options.MaxStopSequences)
        {
            return Limit("stop", $"has {stop.GetArrayLength()} entries; at most {options.MaxStopSequences} are accepted", nameof(options.MaxStopSequences));
        }

        int i = 0;
        foreach (var entry in stop.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.String && CheckStopLength(entry, $"stop[{i}]") is { } error)
            {
                return error;
            }

            i++;
        }

        return null;
    }

    private OpenAIRequestException? CheckStopLength(JsonElement entry, string param)
    {
        int length = entry.GetString()!.Length;
        return length > options.MaxStopSequenceLength
            ? Limit(param, $"is {length} characters long; at most {options.MaxStopSequenceLength} are accepted", nameof(options.MaxStopSequenceLength))
            : null;
    }

    private OpenAIRequestException? CheckSchema(JsonElement schema, string param)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(schema.GetRawText());
        return bytes > options.MaxSchemaBytes
            ? Limit(param, $"is {bytes} bytes long; at most {options.MaxSchemaBytes} are accepted", nameof(options.MaxSchemaBytes))
            : null;
    }

    private static OpenAIRequestException Limit(string param, string what, string setting)
        => OpenAIRequestException.BadRequest(param, $"'{param}' {what} (the server's {setting}).", "limit_exceeded");

    private static OpenAIRequestException TooLarge(long max)
        => new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {max} bytes (the server's MaxRequestBodyBytes).", null, code: "request_too_large");
}
