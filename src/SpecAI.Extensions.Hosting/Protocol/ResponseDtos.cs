using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpecAI.Extensions.Hosting.Protocol;

// The shapes the server writes. Property order is the wire order; a property that OpenAI always sends (null or not)
// has no ignore condition, one that appears only sometimes is ignored when null.

/// <summary>A <c>chat.completion</c>, <c>chat.completion.chunk</c> or <c>text_completion</c> object.</summary>
/// <typeparam name="TChoice">The shape of a choice (message, delta or text).</typeparam>
internal sealed class CompletionDto<TChoice>
{
    public required string Id { get; init; }

    public required string Object { get; init; }

    public required long Created { get; init; }

    public required string Model { get; init; }

    public string SystemFingerprint => "specai";

    public required IReadOnlyList<TChoice> Choices { get; init; }

    /// <summary>Absent (default), <c>null</c> (a stream's chunks when usage was asked for) or the counts.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public UsageField Usage { get; init; }

    /// <summary>The <c>specai.*</c> counters, prefix removed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, long>? Specai { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TimingsDto? Timings { get; init; }
}

/// <summary>A whole answer's choice.</summary>
internal sealed class MessageChoiceDto
{
    public required int Index { get; init; }

    public required MessageDto Message { get; init; }

    public object? Logprobs => null;

    public required string? FinishReason { get; init; }
}

/// <summary>A stream chunk's choice.</summary>
internal sealed class DeltaChoiceDto
{
    public required int Index { get; init; }

    public required MessageDto Delta { get; init; }

    public object? Logprobs => null;

    public string? FinishReason { get; init; }
}

/// <summary>A legacy completion's choice (whole or streamed).</summary>
internal sealed class TextChoiceDto
{
    public required string Text { get; init; }

    public required int Index { get; init; }

    public object? Logprobs => null;

    public string? FinishReason { get; init; }
}

/// <summary>An assistant message (whole answers) or a delta (chunks: every part optional).</summary>
internal sealed class MessageDto
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    /// <summary>Written even when null in a whole message (tool calls only); a delta leaves it out unless it has text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ContentField Content { get; init; }

    /// <summary>Always null in a whole message; absent in a delta.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ContentField Refusal { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ToolCallDto>? ToolCalls { get; init; }
}

/// <summary>One tool call; <c>index</c> only in a stream.</summary>
internal sealed class ToolCallDto
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Index { get; init; }

    public required string Id { get; init; }

    public string Type => "function";

    public required FunctionDto Function { get; init; }
}

/// <summary>A called function and its JSON arguments as a string.</summary>
internal sealed class FunctionDto
{
    public required string Name { get; init; }

    public required string Arguments { get; init; }
}

/// <summary>OpenAI's usage block, speculation counters as prediction tokens.</summary>
internal sealed class UsageDto
{
    public required long PromptTokens { get; init; }

    public required long CompletionTokens { get; init; }

    public required long TotalTokens { get; init; }

    public required PromptTokensDetailsDto PromptTokensDetails { get; init; }

    public required CompletionTokensDetailsDto CompletionTokensDetails { get; init; }
}

/// <summary><c>prompt_tokens_details</c>.</summary>
internal sealed class PromptTokensDetailsDto
{
    public required long CachedTokens { get; init; }
}

/// <summary><c>completion_tokens_details</c>.</summary>
internal sealed class CompletionTokensDetailsDto
{
    public required long ReasoningTokens { get; init; }

    public required long AcceptedPredictionTokens { get; init; }

    public required long RejectedPredictionTokens { get; init; }
}

/// <summary>llama-server's <c>timings</c>.</summary>
internal sealed class TimingsDto
{
    public required long PromptN { get; init; }

    public required double PromptMs { get; init; }

    public required double PromptPerTokenMs { get; init; }

    public required double PromptPerSecond { get; init; }

    public required long PredictedN { get; init; }

    public required double PredictedMs { get; init; }

    public required double PredictedPerTokenMs { get; init; }

    public required double PredictedPerSecond { get; init; }

    public required long DraftN { get; init; }

    public required long DraftNAccepted { get; init; }
}

/// <summary><c>{"error": {...}}</c>.</summary>
internal sealed class ErrorEnvelopeDto
{
    public required ErrorDto Error { get; init; }
}

/// <summary>OpenAI's error object; <c>param</c> and <c>code</c> are written even when null.</summary>
internal sealed class ErrorDto
{
    public required string Message { get; init; }

    public required string Type { get; init; }

    public required string? Param { get; init; }

    public required string? Code { get; init; }
}

/// <summary><c>GET /v1/models</c>.</summary>
internal sealed class ModelListDto
{
    public string Object => "list";

    public required IReadOnlyList<ModelDto> Data { get; init; }
}

/// <summary>One model.</summary>
internal sealed class ModelDto
{
    public required string Id { get; init; }

    public string Object => "model";

    public required long Created { get; init; }

    public string OwnedBy => "specai";
}

/// <summary><c>GET /health</c>: <c>status</c>, and the model when ready or the reason when not.</summary>
internal sealed class HealthDto
{
    public required string Status { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Model { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}

/// <summary>A property that is absent (default), JSON <c>null</c>, or a usage block.</summary>
[JsonConverter(typeof(UsageFieldConverter))]
internal readonly record struct UsageField(bool Present, UsageDto? Value)
{
    /// <summary>Written as <c>null</c>.</summary>
    public static UsageField Null => new(true, null);

    /// <summary>Written as the counts.</summary>
    public static UsageField Of(UsageDto value) => new(true, value);
}

/// <summary>A string property that is absent (default), or written (null or text).</summary>
[JsonConverter(typeof(ContentFieldConverter))]
internal readonly record struct ContentField(bool Present, string? Value)
{
    /// <summary>Written as <paramref name="value"/> (null included).</summary>
    public static ContentField Of(string? value) => new(true, value);
}

/// <summary>Writes a present <see cref="UsageField"/> as null or its counts (absent ones are skipped by the ignore condition).</summary>
internal sealed class UsageFieldConverter : JsonConverter<UsageField>
{
    public override UsageField Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => throw new NotSupportedException("The server only writes usage.");

    public override void Write(Utf8JsonWriter writer, UsageField value, JsonSerializerOptions options)
    {
        if (value.Value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            JsonSerializer.Serialize(writer, value.Value, ProtocolJsonContext.Default.UsageDto);
        }
    }
}

/// <summary>Writes a present <see cref="ContentField"/> as its string or null.</summary>
internal sealed class ContentFieldConverter : JsonConverter<ContentField>
{
    public override ContentField Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => throw new NotSupportedException("The server only writes messages.");

    public override void Write(Utf8JsonWriter writer, ContentField value, JsonSerializerOptions options)
    {
        if (value.Value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value.Value);
        }
    }
}

/// <summary>Source-generated serialization of every body the server writes (snake_case names, compact).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CompletionDto<MessageChoiceDto>))]
[JsonSerializable(typeof(CompletionDto<DeltaChoiceDto>))]
[JsonSerializable(typeof(CompletionDto<TextChoiceDto>))]
[JsonSerializable(typeof(ErrorEnvelopeDto))]
[JsonSerializable(typeof(ModelListDto))]
[JsonSerializable(typeof(ModelDto))]
[JsonSerializable(typeof(HealthDto))]
[JsonSerializable(typeof(UsageDto))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
