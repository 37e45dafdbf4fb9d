using System.Text.Json;
using Microsoft.Extensions.AI;
using static SpecAI.Extensions.Hosting.Protocol.RequestJson;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Reads a <c>POST /v1/chat/completions</c> body into messages and <see cref="ChatOptions"/>, rejecting what the
/// server cannot honour with a 400 that names the parameter. Unknown fields are ignored, as SDKs send many.
/// </summary>
internal static class ChatCompletionRequestReader
{
    /// <summary>Parses the body.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The request.</returns>
    /// <exception cref="OpenAIRequestException">The body is not valid JSON or a parameter is invalid.</exception>
    public static async Task<ChatCompletionRequest> ReadAsync(Stream body, CancellationToken cancellationToken)
    {
        return await CompletionFields.ParseAsync(body, Read, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a parsed body (values are cloned: the document may be disposed afterwards).</summary>
    /// <param name="root">The body.</param>
    /// <returns>The request.</returns>
    public static ChatCompletionRequest Read(JsonElement root)
    {
        Object(root, "body");
        var messages = ChatMessageReader.Read(Required(root, "messages", "messages"));
        var options = new ChatOptions();
        CompletionFields.ReadModel(root, options);

        int choices = TryGet(root, "n", out var n) ? (int)Integer(n, "n", 1, 128) : 1;

        CompletionFields.ReadSampling(root, options);

        // max_completion_tokens replaced max_tokens; when both are given the newer one wins.
        if (TryGet(root, "max_completion_tokens", out var maxTokens) || TryGet(root, "max_tokens", out maxTokens))
        {
            string name = root.TryGetProperty("max_completion_tokens", out var m) && m.ValueKind != JsonValueKind.Null ? "max_completion_tokens" : "max_tokens";
            options.MaxOutputTokens = (int)Integer(maxTokens, name, 1, int.MaxValue);
        }

        if (TryGet(root, "frequency_penalty", out var frequency))
        {
            options.FrequencyPenalty = (float)Number(frequency, "frequency_penalty", -2, 2);
        }

        if (TryGet(root, "presence_penalty", out var presence))
        {
            options.PresencePenalty = (float)Number(presence, "presence_penalty", -2, 2);
        }

        CompletionFields.ReadSeed(root, options);

        options.StopSequences = ReadStop(root);
        ToolOptionsReader.ReadTools(root, options);
        options.ResponseFormat = ToolOptionsReader.ReadResponseFormat(root);
        RejectUnsupported(root);
        ReadExtensions(root, options);

        var (stream, includeUsage) = CompletionFields.ReadStream(root);

        if (choices > 1 && (options.Tools is { Count: > 0 } || options.ResponseFormat is ChatResponseFormatJson))
        {
            throw OpenAIRequestException.BadRequest("n", "n > 1 is supported for text answers only (no tools or response_format).", "unsupported_value");
        }

        return new ChatCompletionRequest(messages, options, stream, includeUsage) { Choices = choices };
    }

    internal static List<string>? ReadStop(JsonElement root)
    {
        if (!TryGet(root, "stop", out var stop))
        {
            return null;
        }

        var sequences = stop.ValueKind == JsonValueKind.Array
            ? stop.EnumerateArray().Select((e, i) => String(e, $"stop[{i}]")).ToList()
            : [String(stop, "stop")];
        return sequences.All(x => x.Length > 0)
            ? sequences
            : throw OpenAIRequestException.BadRequest("stop", "Stop sequences must not be empty.");
    }

    private static void RejectUnsupported(JsonElement root)
    {
        if (TryGet(root, "logprobs", out var logprobs) && Boolean(logprobs, "logprobs"))
        {
            throw OpenAIRequestException.BadRequest("logprobs", "'logprobs' is not supported by this server.", "unsupported_parameter");
        }

        if (TryGet(root, "logit_bias", out var bias) && Object(bias, "logit_bias").EnumerateObject().Any())
        {
            throw OpenAIRequestException.BadRequest("logit_bias", "'logit_bias' is not supported by this server.", "unsupported_parameter");
        }
    }

    /// <summary>Predicted outputs and the <c>specai.*</c> settings, into <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    internal static void ReadExtensions(JsonElement root, ChatOptions options)
    {
        var extra = new AdditionalPropertiesDictionary();
        if (TryGet(root, "prediction", out var prediction))
        {
            Object(prediction, "prediction");
            string type = String(Required(prediction, "type", "prediction.type"), "prediction.type");
            if (type != "content")
            {
                throw OpenAIRequestException.BadRequest("prediction.type", $"Invalid value for 'prediction.type': '{type}'. Supported value is 'content'.");
            }

            extra[SpecAIKeys.Prediction] = Text(Required(prediction, "content", "prediction.content"), "prediction.content");
        }

        // Extra body fields, flat ("specai.mode": "draft") or nested ("specai": {"mode": "draft"}).
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name.StartsWith(SpecAIKeys.Prefix, StringComparison.Ordinal))
            {
                extra[property.Name] = Scalar(property.Value, property.Name);
            }
            else if (property.Name == "specai" && property.Value.ValueKind != JsonValueKind.Null)
            {
                foreach (var nested in Object(property.Value, "specai").EnumerateObject())
                {
                    extra[SpecAIKeys.Prefix + nested.Name] = Scalar(nested.Value, "specai." + nested.Name);
                }
            }
        }

        if (extra.Remove(SpecAIKeys.Constraint))
        {
            throw OpenAIRequestException.BadRequest(SpecAIKeys.Constraint, $"'{SpecAIKeys.Constraint}' takes a constraint object and can only be set in-process; use 'response_format' over HTTP.");
        }

        if (extra.Count > 0)
        {
            options.AdditionalProperties = extra;
        }
    }

    private static object Scalar(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when value.TryGetInt64(out long integer) => integer,
        JsonValueKind.Number => value.GetDouble(),
        _ => throw OpenAIRequestException.BadRequest(path, $"Invalid type for '{path}': expected a string, number or boolean.", "invalid_type"),
    };
}
