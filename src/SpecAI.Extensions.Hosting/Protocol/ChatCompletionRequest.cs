using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using static SpecAI.Extensions.Hosting.Protocol.RequestFields;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// A <c>POST /v1/chat/completions</c> body as messages and <see cref="ChatOptions"/>: read as a
/// <see cref="ChatCompletionRequestDto"/>, then what the server cannot honour is rejected with a 400 that names the
/// parameter. Unknown fields are ignored, as SDKs send many.
/// </summary>
/// <param name="Messages">The conversation.</param>
/// <param name="Options">Sampling, tools, format and <c>specai.*</c> settings.</param>
/// <param name="Stream">Whether the answer streams as server-sent events.</param>
/// <param name="IncludeUsage">Whether a streamed answer ends with a usage chunk (<c>stream_options.include_usage</c>).</param>
internal sealed partial record ChatCompletionRequest(List<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage)
{
    private static readonly JsonElement EmptyParameters = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    /// <summary>n: how many choices (independent samples, or Superposed Decoding suggestions in mode superposed).</summary>
    public int Choices { get; init; } = 1;

    /// <summary>Reads and checks the body.</summary>
    /// <exception cref="OpenAIRequestException">The body is not valid JSON or a parameter is invalid.</exception>
    public static async Task<ChatCompletionRequest> ReadAsync(Stream body, CancellationToken cancellationToken)
        => Create(await RequestBody.ReadAsync(body, RequestJsonContext.Default.ChatCompletionRequestDto, cancellationToken).ConfigureAwait(false));

    /// <summary>Checks a deserialized body, in a fixed order (the first fault is the one reported).</summary>
    /// <exception cref="OpenAIRequestException">A parameter is invalid.</exception>
    public static ChatCompletionRequest Create(ChatCompletionRequestDto body)
    {
        var messages = ReadMessages(Required(body.Messages, "messages"));
        var options = new ChatOptions();
        ReadModel(body, options);

        int choices = body.N is { } n ? (int)Integer(n, "n", 1, 128) : 1;

        ReadSampling(body, options);

        // max_completion_tokens replaced max_tokens; when both are given the newer one wins.
        if (body.MaxCompletionTokens is { } maxCompletionTokens)
        {
            options.MaxOutputTokens = (int)Integer(maxCompletionTokens, "max_completion_tokens", 1, int.MaxValue);
        }
        else if (body.MaxTokens is { } maxTokens)
        {
            options.MaxOutputTokens = (int)Integer(maxTokens, "max_tokens", 1, int.MaxValue);
        }

        if (body.FrequencyPenalty is { } frequency)
        {
            options.FrequencyPenalty = (float)Number(frequency, "frequency_penalty", -2, 2);
        }

        if (body.PresencePenalty is { } presence)
        {
            options.PresencePenalty = (float)Number(presence, "presence_penalty", -2, 2);
        }

        if (body.Seed is { } seed)
        {
            options.Seed = seed;
        }

        options.StopSequences = ReadStop(body);
        ReadTools(body, options);
        options.ResponseFormat = ReadResponseFormat(body.ResponseFormat);
        if (body.Logprobs == true)
        {
            throw OpenAIRequestException.BadRequest("logprobs", "'logprobs' is not supported by this server.", "unsupported_parameter");
        }

        if (body.LogitBias is { Count: > 0 })
        {
            throw OpenAIRequestException.BadRequest("logit_bias", "'logit_bias' is not supported by this server.", "unsupported_parameter");
        }

        ReadExtensions(body, options);
        var (stream, includeUsage) = ReadStream(body);

        if (choices > 1 && (options.Tools is { Count: > 0 } || options.ResponseFormat is ChatResponseFormatJson))
        {
            throw OpenAIRequestException.BadRequest("n", "n > 1 is supported for text answers only (no tools or response_format).", "unsupported_value");
        }

        return new ChatCompletionRequest(messages, options, stream, includeUsage) { Choices = choices };
    }

    /// <summary>OpenAI chat messages (system, developer, user, assistant with tool calls, tool) as <see cref="ChatMessage"/>s.</summary>
    private static List<ChatMessage> ReadMessages(List<RequestMessageDto?> messages)
    {
        var result = new List<ChatMessage>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            string path = $"messages[{i}]";
            result.Add(ReadMessage(Element(messages[i], path), path));
        }

        return result.Count > 0 ? result : throw OpenAIRequestException.BadRequest("messages", "'messages' must contain at least one message.", "empty_array");
    }

    private static ChatMessage ReadMessage(RequestMessageDto message, string path)
    {
        string role = Required(message.Role, path + ".role");
        string? content = message.Content is { } value ? Text(value, path + ".content") : null;
        var result = role switch
        {
            // A local model has one instruction role: developer messages are system messages to it.
            "system" or "developer" => new ChatMessage(ChatRole.System, content ?? string.Empty),
            "user" => new ChatMessage(ChatRole.User, content ?? throw Missing(path + ".content")),
            "assistant" => Assistant(message, content, path),
            "tool" => Tool(message, content ?? throw Missing(path + ".content"), path),
            _ => throw OpenAIRequestException.BadRequest(path + ".role", $"Invalid value for '{path}.role': '{role}'. Supported values are 'system', 'developer', 'user', 'assistant' and 'tool'."),
        };

        if (message.Name is { } name)
        {
            result.AuthorName = name;
        }

        return result;
    }

    private static ChatMessage Tool(RequestMessageDto message, string content, string path)
        => new(ChatRole.Tool, [new FunctionResultContent(Required(message.ToolCallId, path + ".tool_call_id"), content)]);

    private static ChatMessage Assistant(RequestMessageDto message, string? content, string path)
    {
        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(content))
        {
            contents.Add(new TextContent(content));
        }

        var calls = message.ToolCalls ?? [];
        for (int j = 0; j < calls.Count; j++)
        {
            string callPath = $"{path}.tool_calls[{j}]";
            var call = Element(calls[j], callPath);
            string id = Required(call.Id, callPath + ".id");
            if (call.Type is { } type && type != "function")
            {
                throw OpenAIRequestException.BadRequest(callPath + ".type", $"Invalid value for '{callPath}.type': only 'function' tool calls are supported.");
            }

            var function = Required(call.Function, callPath + ".function");
            string name = Required(function.Name, callPath + ".function.name");
            contents.Add(new FunctionCallContent(id, name, Arguments(function.Arguments ?? "{}", callPath + ".function.arguments")));
        }

        return new ChatMessage(ChatRole.Assistant, contents);
    }

    /// <summary>Tool-call arguments: a JSON object encoded as a string, parsed here.</summary>
    private static Dictionary<string, object?> Arguments(string json, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw OpenAIRequestException.BadRequest(path, $"'{path}' must be a JSON object encoded as a string.");
            }

            return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        }
        catch (JsonException ex)
        {
            throw OpenAIRequestException.BadRequest(path, $"'{path}' is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>Tool declarations, <c>parallel_tool_calls</c> and <c>tool_choice</c>.</summary>
    private static void ReadTools(ChatCompletionRequestDto body, ChatOptions options)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (body.Tools is { } tools)
        {
            options.Tools = new List<AITool>();
            for (int i = 0; i < tools.Count; i++)
            {
                string path = $"tools[{i}]";
                var tool = Element(tools[i], path);
                if (Required(tool.Type, path + ".type") != "function")
                {
                    throw OpenAIRequestException.BadRequest(path + ".type", $"Invalid value for '{path}.type': only 'function' tools are supported.");
                }

                var function = Required(tool.Function, path + ".function");
                string name = Required(function.Name, path + ".function.name");
                if (!FunctionName().IsMatch(name) || !names.Add(name))
                {
                    throw OpenAIRequestException.BadRequest(path + ".function.name", $"Invalid '{path}.function.name': '{name}' must match ^[a-zA-Z0-9_-]{{1,64}}$ and be unique.");
                }

                var parameters = function.Parameters is { } p ? Object(p, path + ".function.parameters") : EmptyParameters;
                options.Tools.Add(AIFunctionFactory.CreateDeclaration(name, function.Description, parameters));
            }
        }

        if (body.ParallelToolCalls is { } parallel)
        {
            options.AllowMultipleToolCalls = parallel;
        }

        if (body.ToolChoice is not { } choice)
        {
            return;
        }

        if (choice.Text is { } mode)
        {
            options.ToolMode = mode switch
            {
                "none" => ChatToolMode.None,
                "auto" => ChatToolMode.Auto,
                "required" when names.Count > 0 => ChatToolMode.RequireAny,
                "required" => throw OpenAIRequestException.BadRequest("tool_choice", "'tool_choice' is 'required' but no 'tools' were given."),
                var other => throw OpenAIRequestException.BadRequest("tool_choice", $"Invalid value for 'tool_choice': '{other}'. Supported values are 'none', 'auto', 'required' or a function."),
            };
            return;
        }

        var named = Required(choice.Value!.Function, "tool_choice.function");
        string chosen = Required(named.Name, "tool_choice.function.name");
        options.ToolMode = names.Contains(chosen)
            ? ChatToolMode.RequireSpecific(chosen)
            : throw OpenAIRequestException.BadRequest("tool_choice.function.name", $"'tool_choice' names function '{chosen}', which is not in 'tools'.");
    }

    /// <summary><c>response_format</c>: text, json_object or json_schema.</summary>
    private static ChatResponseFormat? ReadResponseFormat(ResponseFormatDto? format)
    {
        if (format is null)
        {
            return null;
        }

        string type = Required(format.Type, "response_format.type");
        switch (type)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema":
                var schema = Required(format.JsonSchema, "response_format.json_schema");
                string name = Required(schema.Name, "response_format.json_schema.name");
                var body = schema.Schema is { } s ? Object(s, "response_format.json_schema.schema") : EmptyParameters;
                return ChatResponseFormat.ForJsonSchema(body, name, schema.Description);
            default:
                throw OpenAIRequestException.BadRequest("response_format.type", $"Invalid value for 'response_format.type': '{type}'. Supported values are 'text', 'json_object' and 'json_schema'.");
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();
}
