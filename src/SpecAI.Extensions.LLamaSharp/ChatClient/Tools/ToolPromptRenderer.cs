using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.ChatClient.Tools;

/// <summary>Renders tool declarations, tool calls and tool results into chat turns for a <see cref="ToolCallFormat"/>.</summary>
internal static class ToolPromptRenderer
{
    public static ToolCallFormat Resolve(ToolCallFormat format, string? template)
    {
        if (format != ToolCallFormat.Auto)
        {
            return format;
        }

        if (template is null)
        {
            return ToolCallFormat.Generic;
        }

        if (template.Contains("<tool_call>", StringComparison.Ordinal))
        {
            return ToolCallFormat.Hermes;
        }

        return template.Contains("<|start_header_id|>", StringComparison.Ordinal) ? ToolCallFormat.Llama31 : ToolCallFormat.Generic;
    }

    /// <summary>The system text that declares the tools.</summary>
    public static string DescribeTools(IEnumerable<AIFunctionDeclaration> functions, ToolCallFormat format)
    {
        var text = new StringBuilder();
        if (format == ToolCallFormat.Llama31)
        {
            text.Append("You have access to the following functions. To call a function, reply with only a JSON object of the form ")
                .Append("{\"name\": function name, \"parameters\": dictionary of argument name and its value}.\n");
            foreach (var function in functions)
            {
                text.Append(JsonSerializer.Serialize(Declaration(function))).Append('\n');
            }

            return text.ToString();
        }

        text.Append("You may call one or more functions to assist with the user query. Function signatures are within <tools></tools> XML tags:\n<tools>\n");
        foreach (var function in functions)
        {
            text.Append(JsonSerializer.Serialize(Declaration(function))).Append('\n');
        }

        text.Append("</tools>\nFor each function call, return a JSON object with the function name and arguments within <tool_call></tool_call> XML tags:\n")
            .Append("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
        return text.ToString();
    }

    /// <summary>The text of an assistant turn that made calls.</summary>
    public static string RenderCalls(IEnumerable<FunctionCallContent> calls, ToolCallFormat format)
    {
        var text = new StringBuilder();
        foreach (var call in calls)
        {
            string arguments = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>());
            string name = JsonSerializer.Serialize(call.Name);
            if (format == ToolCallFormat.Llama31)
            {
                text.Append("{\"name\": ").Append(name).Append(", \"parameters\": ").Append(arguments).Append('}');
            }
            else
            {
                text.Append("<tool_call>\n{\"name\": ").Append(name).Append(", \"arguments\": ").Append(arguments).Append("}\n</tool_call>");
            }
        }

        return text.ToString();
    }

    /// <summary>Role and text of a turn that returns results.</summary>
    public static (string Role, string Content) RenderResults(IEnumerable<FunctionResultContent> results, ToolCallFormat format)
    {
        var text = new StringBuilder();
        foreach (var result in results)
        {
            string value = result.Result is string s ? s : JsonSerializer.Serialize(result.Result);
            if (format == ToolCallFormat.Llama31)
            {
                text.Append(value);
            }
            else
            {
                text.Append("<tool_response>\n").Append(value).Append("\n</tool_response>");
            }
        }

        return (format == ToolCallFormat.Llama31 ? "ipython" : "tool", text.ToString());
    }

    private static object Declaration(AIFunctionDeclaration function) => new Dictionary<string, object?>
    {
        ["type"] = "function",
        ["function"] = new Dictionary<string, object?>
        {
            ["name"] = function.Name,
            ["description"] = function.Description,
            ["parameters"] = function.JsonSchema,
        },
    };
}
