using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Reads a string, or the union's other shape through the context's own metadata. Its errors keep their place: a wrong
/// token is a <see cref="UnionTypeException"/>, an error inside the other shape a <see cref="UnionBranchException"/>
/// (the serializer restarts the path at a nested read, so the exception carries the branch and its inner path).
/// </summary>
/// <typeparam name="T">The other shape.</typeparam>
/// <param name="shape">The token the other shape starts with.</param>
/// <param name="expected">What a wrong token is told it should have been (e.g. "a string").</param>
internal abstract class StringOrConverter<T>(JsonTokenType shape, string expected) : JsonConverter<StringOr<T>>
    where T : class
{
    /// <inheritdoc/>
    public override StringOr<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new(reader.GetString(), null);
        }

        if (reader.TokenType != shape)
        {
            throw new UnionTypeException(expected);
        }

        var typeInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        try
        {
            return new(null, JsonSerializer.Deserialize(ref reader, typeInfo));
        }
        catch (JsonException ex)
        {
            throw new UnionBranchException(typeInfo, ex);
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, StringOr<T> value, JsonSerializerOptions options)
        => throw new NotSupportedException("Request fields are only read.");
}

/// <summary>Message and prediction content: a string or an array of content parts.</summary>
internal sealed class ContentConverter() : StringOrConverter<List<ContentPartDto?>>(JsonTokenType.StartArray, "a string or an array of content parts");

/// <summary><c>stop</c>: a string or an array of strings.</summary>
internal sealed class StopConverter() : StringOrConverter<List<string?>>(JsonTokenType.StartArray, "a string");

/// <summary><c>tool_choice</c>: a mode or an object naming a function.</summary>
internal sealed class ToolChoiceConverter() : StringOrConverter<ToolChoiceDto>(JsonTokenType.StartObject, "an object");

/// <summary><c>prompt</c>: a string or an array (checked to hold one string when the request is read).</summary>
internal sealed class PromptConverter() : StringOrConverter<List<JsonElement>>(JsonTokenType.StartArray, "a string");

/// <summary>A union field got a token of neither of its shapes; the serializer sets <see cref="JsonException.Path"/> to the field.</summary>
/// <param name="expected">What the field takes, as the error names it.</param>
internal sealed class UnionTypeException(string expected) : JsonException
{
    /// <summary>What the field takes.</summary>
    public string Expected { get; } = expected;
}

/// <summary>
/// An error inside a union's other shape: <see cref="JsonException.Path"/> (set by the serializer) is the union field's,
/// the inner exception's path continues from there, relative to <see cref="Branch"/>.
/// </summary>
/// <param name="branch">The metadata the inner read started from.</param>
/// <param name="inner">The inner error.</param>
internal sealed class UnionBranchException(JsonTypeInfo branch, JsonException inner) : JsonException(null, inner)
{
    /// <summary>The metadata the inner path is relative to.</summary>
    public JsonTypeInfo Branch { get; } = branch;

    /// <summary>The inner error.</summary>
    public JsonException Inner { get; } = inner;
}
