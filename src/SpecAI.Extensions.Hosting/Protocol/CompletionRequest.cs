using Microsoft.Extensions.AI;
using static SpecAI.Extensions.Hosting.Protocol.RequestFields;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// A <c>POST /v1/completions</c> body (OpenAI's legacy text completions): <c>prompt</c> (a string, or an array of one
/// string), <c>max_tokens</c> (default 16, as OpenAI's), <c>temperature</c>, <c>top_p</c>, <c>stop</c>, <c>n</c>,
/// <c>stream</c>, <c>stream_options</c>, <c>seed</c>, <c>echo</c> (false only) and the <c>specai.*</c> settings, read as
/// a <see cref="CompletionRequestDto"/>. Unknown fields are ignored, as SDKs send many.
/// </summary>
/// <param name="Prompt">The text to continue (no chat template).</param>
/// <param name="Options">Sampling, stop and <c>specai.*</c> settings; <c>specai.raw_prompt</c> is set.</param>
/// <param name="Choices">n.</param>
/// <param name="Stream">Whether the answer streams as server-sent events.</param>
/// <param name="IncludeUsage">Whether a streamed answer ends with a usage chunk.</param>
internal sealed record CompletionRequest(string Prompt, ChatOptions Options, int Choices, bool Stream, bool IncludeUsage)
{
    /// <summary>Reads and checks the body.</summary>
    /// <exception cref="OpenAIRequestException">The body is not valid JSON or a parameter is invalid.</exception>
    public static async Task<CompletionRequest> ReadAsync(Stream body, CancellationToken cancellationToken)
        => Create(await RequestBody.ReadAsync(body, RequestJsonContext.Default.CompletionRequestDto, cancellationToken).ConfigureAwait(false));

    /// <summary>Checks a deserialized body, in a fixed order (the first fault is the one reported).</summary>
    /// <exception cref="OpenAIRequestException">A parameter is invalid.</exception>
    public static CompletionRequest Create(CompletionRequestDto body)
    {
        var prompt = Required(body.Prompt, "prompt");
        string text = prompt.Value is not { } items ? prompt.Text!
            : items is [{ ValueKind: System.Text.Json.JsonValueKind.String } single] ? single.GetString()!
            : throw OpenAIRequestException.BadRequest("prompt", "'prompt' must be a string or an array of one string (batches of prompts and token arrays are not supported).", "unsupported_value");
        var options = new ChatOptions { MaxOutputTokens = 16 };
        ReadModel(body, options);

        int n = body.N is { } count ? (int)Integer(count, "n", 1, 128) : 1;
        if (body.MaxTokens is { } maxTokens)
        {
            options.MaxOutputTokens = (int)Integer(maxTokens, "max_tokens", 1, int.MaxValue);
        }

        ReadSampling(body, options);
        if (body.Seed is { } seed)
        {
            options.Seed = seed;
        }

        if (body.Echo == true)
        {
            throw OpenAIRequestException.BadRequest("echo", "'echo' = true is not supported by this server.", "unsupported_value");
        }

        options.StopSequences = ReadStop(body);
        ReadExtensions(body, options);
        (options.AdditionalProperties ??= new())[SpecAIKeys.RawPrompt] = true;

        var (stream, includeUsage) = ReadStream(body);
        return new CompletionRequest(text, options, n, stream, includeUsage);
    }
}
