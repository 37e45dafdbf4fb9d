using System.Text.Json;
using Microsoft.Extensions.AI;
using static SpecAI.Extensions.Hosting.Protocol.RequestJson;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Reads OpenAI chat messages (system, developer, user, assistant with tool calls, tool) into <see cref="ChatMessage"/>s.</summary>
internal static class ChatMessageReader
{
    /// <summary>Reads the <c>messages</c> array.</summary>
    /// <param name="messages">The array.</param>
    /// <returns>The messages, in order.</returns>
    /// <exception cref="OpenAIRequestException">A message is malformed (the error names it, e.g. <c>messages[2].tool_call_id</c>).</exception>
    public static List<ChatMessage> Read(JsonElement messages)
    {
        Array(messages, "messages");
        var result = new List<ChatMessage>(messages.GetArrayLength());
        int i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            result.Add(ReadMessage(message, $"messages[{i++}]"));
        }

        return result.Count > 0 ? result : throw OpenAIRequestException.BadRequest("messages", "'messages' must contain at least one message.", "empty_array");
    }

    private static ChatMessage ReadMessage(JsonElement message, string path)
    {
        Object(message, path);
        string role = String(Required(message, "role", path + ".role"), path + ".role");
        string? content = TryGet(message, "content", out var value) ? Text(value, path + ".content") : null;
        var result = role switch
        {
            // A local model has one instruction role: developer messages are system messages to it.
            "system" or "developer" => new ChatMessage(ChatRole.System, content ?? string.Empty),
            "user" => new ChatMessage(ChatRole.User, content ?? throw MissingContent(path)),
            "assistant" => Assistant(message, content, path),
            "tool" => Tool(message, content ?? throw MissingContent(path), path),
            _ => throw OpenAIRequestException.BadRequest(path + ".role", $"Invalid value for '{path}.role': '{role}'. Supported values are 'system', 'developer', 'user', 'assistant' and 'tool'."),
        };

        if (TryGet(message, "name", out var name))
        {
            result.AuthorName = String(name, path + ".name");
        }

        return result;
    }

    private static ChatMessage Assistant(JsonElement message, string? content, string path)
    {
        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(content))
        {
            contents.Add(new TextContent(content));
        }

        if (TryGet(message, "tool_calls", out var calls))
        {
            Array(calls, path + ".tool_calls");
            int j = 0;
            foreach (var call in calls.EnumerateArray())
            {
                contents.Add(ToolCall(call, $"{path}.tool_calls[{j++}]"));
            }
        }

        return new ChatMessage(ChatRole.Assistant, contents);
    }

    private static FunctionCallContent ToolCall(JsonElement call, string path)
    {
        Object(call, path);
        string id = String(Required(call, "id", path + ".id"), path + ".id");
        if (TryGet(call, "type", out var type) && String(type, path + ".type") != "function")
        {
            throw OpenAIRequestException.BadRequest(path + ".type", $"Invalid value for '{path}.type': only 'function' tool calls are supported.");
        }

        var function = Object(Required(call, "function", path + ".function"), path + ".function");
        string name = String(Required(function, "name", path + ".function.name"), path + ".function.name");
        string arguments = TryGet(function, "arguments", out var args) ? String(args, path + ".function.arguments") : "{}";
        return new FunctionCallContent(id, name, Arguments(arguments, path + ".function.arguments"));
    }

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

    private static ChatMessage Tool(JsonElement message, string content, string path)
    {
        string callId = String(Required(message, "tool_call_id", path + ".tool_call_id"), path + ".tool_call_id");
        return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(callId, content)]);
    }

    private static OpenAIRequestException MissingContent(string path)
        => OpenAIRequestException.BadRequest(path + ".content", $"Missing required parameter: '{path}.content'.", "missing_required_parameter");
}
