using System.Text.Json;
using Microsoft.Extensions.AI;
using static SpecAI.Extensions.Hosting.Protocol.RequestJson;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Reads a <c>POST /v1/completions</c> body: <c>prompt</c> (a string, or an array of one string), <c>max_tokens</c>
/// (default 16, as OpenAI's), <c>temperature</c>, <c>top_p</c>, <c>stop</c>, <c>n</c>, <c>stream</c>,
/// <c>stream_options</c>, <c>seed</c>, <c>echo</c> (false only) and the <c>specai.*</c> settings. Unknown fields are
/// ignored, as SDKs send many.
/// </summary>
internal static class CompletionRequestReader
{
    /// <summary>Parses the body.</summary>
    /// <exception cref="OpenAIRequestException">The body is not valid JSON or a parameter is invalid.</exception>
    public static async Task<CompletionRequest> ReadAsync(Stream body, CancellationToken cancellationToken)
    {
        return await CompletionFields.ParseAsync(body, Read, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a parsed body.</summary>
    public static CompletionRequest Read(JsonElement root)
    {
        Object(root, "body");
        string prompt = ReadPrompt(Required(root, "prompt", "prompt"));
        var options = new ChatOptions { MaxOutputTokens = 16 };
        CompletionFields.ReadModel(root, options);

        int n = TryGet(root, "n", out var count) ? (int)Integer(count, "n", 1, 128) : 1;
        if (TryGet(root, "max_tokens", out var maxTokens))
        {
            options.MaxOutputTokens = (int)Integer(maxTokens, "max_tokens", 1, int.MaxValue);
        }

        CompletionFields.ReadSampling(root, options);

        CompletionFields.ReadSeed(root, options);

        if (TryGet(root, "echo", out var echo) && Boolean(echo, "echo"))
        {
            throw OpenAIRequestException.BadRequest("echo", "'echo' = true is not supported by this server.", "unsupported_value");
        }

        options.StopSequences = ChatCompletionRequestReader.ReadStop(root);
        ChatCompletionRequestReader.ReadExtensions(root, options);
        (options.AdditionalProperties ??= new())[SpecAIKeys.RawPrompt] = true;

        var (stream, includeUsage) = CompletionFields.ReadStream(root);

        return new CompletionRequest(prompt, options, n, stream, includeUsage);
    }

    private static string ReadPrompt(JsonElement prompt)
    {
        if (prompt.ValueKind != JsonValueKind.Array)
        {
            return String(prompt, "prompt");
        }

        var items = prompt.EnumerateArray().ToList();
        return items.Count == 1 && items[0].ValueKind == JsonValueKind.String
            ? items[0].GetString()!
            : throw OpenAIRequestException.BadRequest("prompt", "'prompt' must be a string or an array of one string (batches of prompts and token arrays are not supported).", "unsupported_value");
    }
}
