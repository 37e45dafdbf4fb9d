using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Constraints;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// The grammar a request's options ask for, over the client's one prepared vocabulary (its trie is built once, on the
/// first constrained request): a tool call when <see cref="ChatOptions.ToolMode"/> is <see cref="RequiredChatToolMode"/>,
/// else a JSON document when <see cref="ChatOptions.ResponseFormat"/> is JSON. Draft and target are masked alike, so
/// speculation stays lossless with respect to the constrained target.
/// </summary>
internal sealed class RequestConstraints(Func<IReadOnlyList<string>> tokenTexts, IReadOnlySet<int> endTokens, ToolCallFormat toolFormat)
{
    private readonly Lazy<JsonTokenVocabulary> _vocabulary = new(() => new JsonTokenVocabulary(tokenTexts(), endTokens));

    /// <summary>The prepared vocabulary (shared by every constraint this client creates).</summary>
    public JsonTokenVocabulary Vocabulary => _vocabulary.Value;

    /// <summary>The constraint for a request, or null when it asks for none.</summary>
    /// <exception cref="ArgumentException">A required tool call without tools, or naming a tool the request does not declare; a schema over the limits.</exception>
    public ITokenConstraint? For(ChatOptions? options)
    {
        if (options?.ToolMode is RequiredChatToolMode required)
        {
            return ToolCall(options, required);
        }

        if (options?.ResponseFormat is ChatResponseFormatJson json)
        {
            var schema = json.Schema is { } element ? JsonSchemaSubset.FromJson(element) : null;
            return new JsonTokenConstraint(Vocabulary, schema);
        }

        return null;
    }

    /// <summary>
    /// Forces one call in the model's format: <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>
    /// (Hermes, generic) or <c>{"name": ..., "parameters": {...}}</c> (Llama 3.1), the name one of the allowed tools and
    /// the arguments following that tool's schema when only one tool is allowed (with several, the union of their schemas).
    /// </summary>
    private JsonTokenConstraint ToolCall(ChatOptions options, RequiredChatToolMode required)
    {
        var functions = ChatPromptFormatter.Functions(options);
        if (functions.Count == 0)
        {
            throw new ArgumentException("ChatOptions.ToolMode requires a tool call, but ChatOptions.Tools declares no function.", nameof(options));
        }

        if (required.RequiredFunctionName is { } name)
        {
            functions = functions.Where(f => f.Name == name).ToList();
            if (functions.Count == 0)
            {
                throw new ArgumentException($"ChatOptions.ToolMode requires a call to '{name}', which ChatOptions.Tools does not declare.", nameof(options));
            }
        }

        bool llama = toolFormat == ToolCallFormat.Llama31;
        string argumentsKey = llama ? "parameters" : "arguments";
        JsonNode arguments = functions.Count == 1 && IsObjectSchema(functions[0].JsonSchema)
            ? JsonNode.Parse(functions[0].JsonSchema.GetRawText())!
            : ArgumentsOfAny(functions);
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["name"] = new JsonObject { ["enum"] = new JsonArray(functions.Select(f => f.Name).Distinct(StringComparer.Ordinal).Select(n => (JsonNode)JsonValue.Create(n)).ToArray()) },
                [argumentsKey] = arguments,
            },
            ["required"] = new JsonArray("name", argumentsKey),
            ["additionalProperties"] = false,
        };
        var tags = new JsonTokenConstraintOptions
        {
            Prefix = llama ? string.Empty : "<tool_call>",
            Suffix = llama ? string.Empty : "</tool_call>",
        };
        return new JsonTokenConstraint(Vocabulary, JsonSchemaSubset.Parse(schema.ToJsonString()), tags);
    }

    /// <summary>
    /// The arguments of a call to any of several tools: an object whose keys are all their parameters (a parameter two
    /// tools type differently may hold any value) and which is closed only when every tool's schema is. A superset of
    /// each tool's arguments, so no valid call is refused; the name is not tied to its own parameters.
    /// </summary>
    private static JsonObject ArgumentsOfAny(List<AIFunctionDeclaration> functions)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        bool closed = true;
        foreach (var function in functions)
        {
            var schema = function.JsonSchema;
            if (!IsObjectSchema(schema))
            {
                return new JsonObject { ["type"] = "object" };
            }

            closed &= schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
            if (schema.TryGetProperty("properties", out var declared) && declared.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in declared.EnumerateObject())
                {
                    string raw = property.Value.GetRawText();
                    properties[property.Name] = properties.TryGetValue(property.Name, out string? other) && other != raw ? "{}" : raw;
                }
            }
        }

        var union = new JsonObject();
        foreach (var (key, raw) in properties)
        {
            union[key] = JsonNode.Parse(raw);
        }

        var result = new JsonObject { ["type"] = "object", ["properties"] = union };
        if (closed)
        {
            result["additionalProperties"] = false;
        }

        return result;
    }

    private static bool IsObjectSchema(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object
        && (!schema.TryGetProperty("type", out var type) || (type.ValueKind == JsonValueKind.String && type.GetString() == "object"));
}
