using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.ChatClient.Tools;

/// <summary>
/// Finds tool calls in model output. Malformed calls are left as plain text: a model's bad JSON must never
/// become an exception deep inside the client.
/// </summary>
internal static class ToolCallParser
{
    private const string Open = "<tool_call>";
    private const string Close = "</tool_call>";

    /// <summary>Whether <paramref name="text"/> (so far) could still be the start of a tool call.</summary>
    public static bool MayStartCall(string text, ToolCallFormat format)
    {
        string trimmed = text.TrimStart();
        if (trimmed.Length == 0)
        {
            return true;
        }

        return format == ToolCallFormat.Llama31
            ? trimmed[0] == '{' || "<|python_tag|>".StartsWith(trimmed, StringComparison.Ordinal) || trimmed.StartsWith("<|python_tag|>", StringComparison.Ordinal)
            : Open.StartsWith(trimmed, StringComparison.Ordinal) || trimmed.StartsWith(Open, StringComparison.Ordinal);
    }

    /// <summary>Parses the calls in a complete answer; returns the remaining text and the calls (empty when none parse).</summary>
    /// <param name="text">The whole answer.</param>
    /// <param name="format">How the model writes calls.</param>
    /// <param name="declared">
    /// The request's tool names. A Llama 3.1 call has no tags, so any JSON answer could look like one: it counts only
    /// when it names a declared tool and carries its arguments ("parameters" or "arguments" object); otherwise it stays text.
    /// </param>
    public static (string Text, List<FunctionCallContent> Calls) Parse(string text, ToolCallFormat format, IReadOnlySet<string> declared)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(declared);
        var calls = new List<FunctionCallContent>();
        if (format == ToolCallFormat.Llama31)
        {
            string body = text.Trim();
            if (body.StartsWith("<|python_tag|>", StringComparison.Ordinal))
            {
                body = body["<|python_tag|>".Length..].Trim();
            }

            if (TryParseCall(body, "parameters", requireArguments: true, out var call) && declared.Contains(call.Name))
            {
                calls.Add(call);
                return (string.Empty, calls);
            }

            return (text, calls);
        }

        var rest = new System.Text.StringBuilder();
        int position = 0;
        while (true)
        {
            int start = text.IndexOf(Open, position, StringComparison.Ordinal);
            if (start < 0)
            {
                break;
            }

            int end = text.IndexOf(Close, start, StringComparison.Ordinal);
            string json = end < 0 ? text[(start + Open.Length)..] : text[(start + Open.Length)..end];
            if (!TryParseCall(json.Trim(), "arguments", requireArguments: false, out var call))
            {
                // Malformed: keep everything as text.
                return (text, new List<FunctionCallContent>());
            }

            calls.Add(call);
            rest.Append(text, position, start - position);
            position = end < 0 ? text.Length : end + Close.Length;
        }

        rest.Append(text, position, text.Length - position);
        return (calls.Count > 0 ? rest.ToString().Trim() : text, calls);
    }

    private static bool TryParseCall(string json, string argumentsProperty, bool requireArguments, out FunctionCallContent call)
    {
        call = null!;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || string.IsNullOrWhiteSpace(name.GetString()))
            {
                return false;
            }

            var arguments = new Dictionary<string, object?>();
            if (root.TryGetProperty(argumentsProperty, out var args) || root.TryGetProperty("arguments", out args))
            {
                if (args.ValueKind == JsonValueKind.String)
                {
                    using var inner = JsonDocument.Parse(args.GetString()!);
                    args = inner.RootElement.Clone();
                }

                if (args.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }

                foreach (var property in args.EnumerateObject())
                {
                    arguments[property.Name] = property.Value.Clone();
                }
            }
            else if (requireArguments)
            {
                return false;
            }

            call = new FunctionCallContent("call_" + Guid.NewGuid().ToString("N")[..12], name.GetString()!, arguments);
            return true;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            // Bad JSON, or text that is not valid UTF-16 (a lone surrogate): not a call.
            return false;
        }
    }
}
