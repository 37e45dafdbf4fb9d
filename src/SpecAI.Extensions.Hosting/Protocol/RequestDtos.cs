using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpecAI.Extensions.Hosting.Protocol;

// The shapes the server reads. Every field is nullable: absent and JSON null mean the same, as in OpenAI's API.
// Only fields the server reads are declared; the others land in Extra (the specai.* settings are read from there, the
// rest is ignored, as SDKs send many). A wrong JSON type fails deserialization with the field's path (RequestBody).

/// <summary>The fields <c>/v1/completions</c> and <c>/v1/chat/completions</c> read alike.</summary>
internal abstract class CompletionFieldsDto
{
    public string? Model { get; set; }

    public long? N { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    public long? MaxTokens { get; set; }

    public long? Seed { get; set; }

    /// <summary>One stop sequence or an array of them.</summary>
    [JsonConverter(typeof(StopConverter))]
    public StringOr<List<string?>>? Stop { get; set; }

    public PredictionDto? Prediction { get; set; }

    public bool? Stream { get; set; }

    public StreamOptionsDto? StreamOptions { get; set; }

    /// <summary>Every other field, in body order: <c>specai.*</c> (flat) and <c>specai</c> (nested) are read from here.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>A <c>POST /v1/chat/completions</c> body.</summary>
internal sealed class ChatCompletionRequestDto : CompletionFieldsDto
{
    public List<RequestMessageDto?>? Messages { get; set; }

    public long? MaxCompletionTokens { get; set; }

    public double? FrequencyPenalty { get; set; }

    public double? PresencePenalty { get; set; }

    public List<ToolDto?>? Tools { get; set; }

    public bool? ParallelToolCalls { get; set; }

    /// <summary><c>none</c>, <c>auto</c>, <c>required</c>, or a named function.</summary>
    [JsonConverter(typeof(ToolChoiceConverter))]
    public StringOr<ToolChoiceDto>? ToolChoice { get; set; }

    public ResponseFormatDto? ResponseFormat { get; set; }

    public bool? Logprobs { get; set; }

    public Dictionary<string, JsonElement>? LogitBias { get; set; }
}

/// <summary>A <c>POST /v1/completions</c> body.</summary>
internal sealed class CompletionRequestDto : CompletionFieldsDto
{
    /// <summary>A string, or an array that must hold exactly one string.</summary>
    [JsonConverter(typeof(PromptConverter))]
    public StringOr<List<JsonElement>>? Prompt { get; set; }

    public bool? Echo { get; set; }
}

/// <summary>A chat message (system, developer, user, assistant, tool).</summary>
internal sealed class RequestMessageDto
{
    public string? Role { get; set; }

    [JsonConverter(typeof(ContentConverter))]
    public StringOr<List<ContentPartDto?>>? Content { get; set; }

    public string? Name { get; set; }

    public List<RequestToolCallDto?>? ToolCalls { get; set; }

    public string? ToolCallId { get; set; }
}

/// <summary>A content part (<c>{"type": "text", "text": ...}</c>).</summary>
internal sealed class ContentPartDto
{
    public string? Type { get; set; }

    public string? Text { get; set; }
}

/// <summary>A tool call of an assistant message.</summary>
internal sealed class RequestToolCallDto
{
    public string? Id { get; set; }

    public string? Type { get; set; }

    public FunctionCallDto? Function { get; set; }
}

/// <summary>The function of a tool call; <c>arguments</c> is a JSON object encoded as a string.</summary>
internal sealed class FunctionCallDto
{
    public string? Name { get; set; }

    public string? Arguments { get; set; }
}

/// <summary>A tool declaration.</summary>
internal sealed class ToolDto
{
    public string? Type { get; set; }

    public FunctionDeclarationDto? Function { get; set; }
}

/// <summary>A function declaration; <c>parameters</c> is a JSON schema, kept as JSON.</summary>
internal sealed class FunctionDeclarationDto
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public JsonElement? Parameters { get; set; }
}

/// <summary><c>tool_choice</c> naming a function.</summary>
internal sealed class ToolChoiceDto
{
    public FunctionNameDto? Function { get; set; }
}

/// <summary><c>{"name": ...}</c>.</summary>
internal sealed class FunctionNameDto
{
    public string? Name { get; set; }
}

/// <summary><c>response_format</c>: text, json_object or json_schema.</summary>
internal sealed class ResponseFormatDto
{
    public string? Type { get; set; }

    public JsonSchemaFormatDto? JsonSchema { get; set; }
}

/// <summary><c>response_format.json_schema</c>; <c>schema</c> is kept as JSON.</summary>
internal sealed class JsonSchemaFormatDto
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public JsonElement? Schema { get; set; }
}

/// <summary>Predicted output (<c>{"type": "content", "content": ...}</c>).</summary>
internal sealed class PredictionDto
{
    public string? Type { get; set; }

    [JsonConverter(typeof(ContentConverter))]
    public StringOr<List<ContentPartDto?>>? Content { get; set; }
}

/// <summary><c>stream_options</c>.</summary>
internal sealed class StreamOptionsDto
{
    public bool? IncludeUsage { get; set; }
}

/// <summary>One of OpenAI's unions: a string, or a value of another shape (an array or an object).</summary>
/// <typeparam name="T">The other shape.</typeparam>
/// <param name="text">The string, or null.</param>
/// <param name="value">The other shape, or null.</param>
internal sealed class StringOr<T>(string? text, T? value)
    where T : class
{
    public string? Text { get; } = text;

    public T? Value { get; } = value;
}

/// <summary>Reads request bodies (snake_case names; unknown fields kept in <see cref="CompletionFieldsDto.Extra"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ChatCompletionRequestDto))]
[JsonSerializable(typeof(CompletionRequestDto))]
[JsonSerializable(typeof(List<ContentPartDto>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<JsonElement>))]
[JsonSerializable(typeof(ToolChoiceDto))]
internal sealed partial class RequestJsonContext : JsonSerializerContext;
