using System.Text.Json;
using Microsoft.Extensions.AI;
using static SpecAI.Extensions.Hosting.Protocol.RequestJson;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>The body parsing and fields <c>/v1/completions</c> and <c>/v1/chat/completions</c> read alike.</summary>
internal static class CompletionFields
{
    /// <summary>Parses a JSON body and reads it with <paramref name="read"/>.</summary>
    /// <exception cref="OpenAIRequestException">The body is not valid JSON, or <paramref name="read"/> rejects it.</exception>
    public static async Task<T> ParseAsync<T>(Stream body, Func<JsonElement, T> read, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(body, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new OpenAIRequestException(400, $"The request body is not valid JSON: {ex.Message}", null, code: "invalid_json", innerException: ex);
        }

        using (document)
        {
            return read(document.RootElement);
        }
    }

    /// <summary>Reads <c>model</c>.</summary>
    public static void ReadModel(JsonElement root, ChatOptions options)
    {
        if (TryGet(root, "model", out var model))
        {
            options.ModelId = String(model, "model");
        }
    }

    /// <summary>Reads <c>temperature</c> and <c>top_p</c>, in that order.</summary>
    public static void ReadSampling(JsonElement root, ChatOptions options)
    {
        if (TryGet(root, "temperature", out var temperature))
        {
            options.Temperature = (float)Number(temperature, "temperature", 0, 2);
        }

        if (TryGet(root, "top_p", out var topP))
        {
            options.TopP = (float)Number(topP, "top_p", 0, 1);
        }
    }

    /// <summary>Reads <c>seed</c>.</summary>
    public static void ReadSeed(JsonElement root, ChatOptions options)
    {
        if (TryGet(root, "seed", out var seed))
        {
            options.Seed = Integer(seed, "seed", long.MinValue, long.MaxValue);
        }
    }

    /// <summary>Reads <c>stream</c> and <c>stream_options</c> (allowed only when streaming).</summary>
    public static (bool Stream, bool IncludeUsage) ReadStream(JsonElement root)
    {
        bool stream = TryGet(root, "stream", out var s) && Boolean(s, "stream");
        bool includeUsage = false;
        if (TryGet(root, "stream_options", out var streamOptions))
        {
            if (!stream)
            {
                throw OpenAIRequestException.BadRequest("stream_options", "'stream_options' is only allowed when 'stream' is true.");
            }

            Object(streamOptions, "stream_options");
            includeUsage = TryGet(streamOptions, "include_usage", out var usage) && Boolean(usage, "stream_options.include_usage");
        }

        return (stream, includeUsage);
    }
}
