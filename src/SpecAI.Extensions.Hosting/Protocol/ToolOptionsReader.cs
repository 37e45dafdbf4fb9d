using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using static SpecAI.Extensions.Hosting.Protocol.RequestJson;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Reads <c>tools</c>, <c>tool_choice</c> and <c>response_format</c>.</summary>
internal static partial class ToolOptionsReader
{
    private static readonly JsonElement EmptyParameters = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    /// <summary>Reads tool declarations and the tool choice into <paramref name="options"/>.</summary>
    public static void ReadTools(JsonElement root, ChatOptions options)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (TryGet(root, "tools", out var tools))
        {
            Array(tools, "tools");
            options.Tools = new List<AITool>();
            int i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                string path = $"tools[{i++}]";
                Object(tool, path);
                if (String(Required(tool, "type", path + ".type"), path + ".type") != "function")
                {
                    throw OpenAIRequestException.BadRequest(path + ".type", $"Invalid value for '{path}.type': only 'function' tools are supported.");
                }

                var function = Object(Required(tool, "function", path + ".function"), path + ".function");
                string name = String(Required(function, "name", path + ".function.name"), path + ".function.name");
                if (!FunctionName().IsMatch(name) || !names.Add(name))
                {
                    throw OpenAIRequestException.BadRequest(path + ".function.name", $"Invalid '{path}.function.name': '{name}' must match ^[a-zA-Z0-9_-]{{1,64}}$ and be unique.");
                }

                string? description = TryGet(function, "description", out var d) ? String(d, path + ".function.description") : null;
                var parameters = TryGet(function, "parameters", out var p) ? Object(p, path + ".function.parameters").Clone() : EmptyParameters;
                options.Tools.Add(AIFunctionFactory.CreateDeclaration(name, description, parameters));
            }
        }

        if (TryGet(root, "parallel_tool_calls", out var parallel))
        {
            options.AllowMultipleToolCalls = Boolean(parallel, "parallel_tool_calls");
        }

        if (!TryGet(root, "tool_choice", out var choice))
        {
            return;
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            options.ToolMode = choice.GetString() switch
            {
                "none" => ChatToolMode.None,
                "auto" => ChatToolMode.Auto,
                "required" when names.Count > 0 => ChatToolMode.RequireAny,
                "required" => throw OpenAIRequestException.BadRequest("tool_choice", "'tool_choice' is 'required' but no 'tools' were given."),
                var other => throw OpenAIRequestException.BadRequest("tool_choice", $"Invalid value for 'tool_choice': '{other}'. Supported values are 'none', 'auto', 'required' or a function."),
            };
            return;
        }

        Object(choice, "tool_choice");
        var named = Object(Required(choice, "function", "tool_choice.function"), "tool_choice.function");
        string chosen = String(Required(named, "name", "tool_choice.function.name"), "tool_choice.function.name");
        options.ToolMode = names.Contains(chosen)
            ? ChatToolMode.RequireSpecific(chosen)
            : throw OpenAIRequestException.BadRequest("tool_choice.function.name", $"'tool_choice' names function '{chosen}', which is not in 'tools'.");
    }

    /// <summary>Reads <c>response_format</c>: text, json_object or json_schema.</summary>
    public static ChatResponseFormat? ReadResponseFormat(JsonElement root)
    {
        if (!TryGet(root, "response_format", out var format))
        {
            return null;
        }

        Object(format, "response_format");
        string type = String(Required(format, "type", "response_format.type"), "response_format.type");
        switch (type)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema":
                var schema = Object(Required(format, "json_schema", "response_format.json_schema"), "response_format.json_schema");
                string name = String(Required(schema, "name", "response_format.json_schema.name"), "response_format.json_schema.name");
                string? description = TryGet(schema, "description", out var d) ? String(d, "response_format.json_schema.description") : null;
                var body = TryGet(schema, "schema", out var s) ? Object(s, "response_format.json_schema.schema").Clone() : EmptyParameters;
                return ChatResponseFormat.ForJsonSchema(body, name, description);
            default:
                throw OpenAIRequestException.BadRequest("response_format.type", $"Invalid value for 'response_format.type': '{type}'. Supported values are 'text', 'json_object' and 'json_schema'.");
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();
}
