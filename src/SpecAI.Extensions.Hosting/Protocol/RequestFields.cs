using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Checks on deserialized request fields that JSON types cannot express (required, ranges, allowed values), each a 400
/// naming the field by its JSON path, and the fields both completion endpoints read alike.
/// </summary>
internal static class RequestFields
{
    /// <summary>A required field.</summary>
    public static T Required<T>(T? value, string path)
        where T : class
        => value ?? throw Missing(path);

    /// <summary>A number in [min, max].</summary>
    public static double Number(double value, string path, double min, double max)
        => value >= min && value <= max
            ? value
            : throw OpenAIRequestException.BadRequest(path, $"Invalid '{path}': {value} is outside [{min}, {max}].");

    /// <summary>An integer in [min, max].</summary>
    public static long Integer(long value, string path, long min, long max)
        => value >= min && value <= max
            ? value
            : throw OpenAIRequestException.BadRequest(path, $"Invalid '{path}': {value} is outside [{min}, {max}].");

    /// <summary>An element of an array, which JSON allows to be null.</summary>
    public static T Element<T>(T? value, string path)
        where T : class
        => value ?? throw TypeError(path, typeof(T) == typeof(string) ? "a string" : "an object", JsonValueKind.Null);

    /// <summary>A field kept as JSON (a schema) that must be an object.</summary>
    public static JsonElement Object(JsonElement value, string path)
        => value.ValueKind == JsonValueKind.Object ? value : throw TypeError(path, "an object", value.ValueKind);

    /// <summary>Content given as a string or as an array of text parts (<c>{"type": "text", "text": ...}</c>).</summary>
    public static string Text(StringOr<List<ContentPartDto?>> content, string path)
    {
        if (content.Value is not { } parts)
        {
            return content.Text!;
        }

        var text = new StringBuilder();
        for (int i = 0; i < parts.Count; i++)
        {
            string partPath = $"{path}[{i}]";
            var part = Element(parts[i], partPath);
            string type = Required(part.Type, partPath + ".type");
            if (type != "text")
            {
                throw OpenAIRequestException.BadRequest(partPath + ".type", $"Content part type '{type}' is not supported; this server accepts text only.", "unsupported_content");
            }

            text.Append(Required(part.Text, partPath + ".text"));
        }

        return text.ToString();
    }

    /// <summary>Reads <c>model</c>.</summary>
    public static void ReadModel(CompletionFieldsDto body, ChatOptions options)
    {
        if (body.Model is { } model)
        {
            options.ModelId = model;
        }
    }

    /// <summary>Reads <c>temperature</c> and <c>top_p</c>, in that order.</summary>
    public static void ReadSampling(CompletionFieldsDto body, ChatOptions options)
    {
        if (body.Temperature is { } temperature)
        {
            options.Temperature = (float)Number(temperature, "temperature", 0, 2);
        }

        if (body.TopP is { } topP)
        {
            options.TopP = (float)Number(topP, "top_p", 0, 1);
        }
    }

    /// <summary>Reads <c>stop</c>: one sequence or several, none empty.</summary>
    public static List<string>? ReadStop(CompletionFieldsDto body)
    {
        if (body.Stop is not { } stop)
        {
            return null;
        }

        var sequences = stop.Value is { } many
            ? many.Select((s, i) => Element(s, $"stop[{i}]")).ToList()
            : [stop.Text!];
        return sequences.All(x => x.Length > 0)
            ? sequences
            : throw OpenAIRequestException.BadRequest("stop", "Stop sequences must not be empty.");
    }

    /// <summary>Reads <c>stream</c> and <c>stream_options</c> (allowed only when streaming).</summary>
    public static (bool Stream, bool IncludeUsage) ReadStream(CompletionFieldsDto body)
    {
        bool stream = body.Stream == true;
        if (body.StreamOptions is not { } streamOptions)
        {
            return (stream, false);
        }

        return stream
            ? (stream, streamOptions.IncludeUsage == true)
            : throw OpenAIRequestException.BadRequest("stream_options", "'stream_options' is only allowed when 'stream' is true.");
    }

    /// <summary>Predicted outputs and the <c>specai.*</c> settings, into <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public static void ReadExtensions(CompletionFieldsDto body, ChatOptions options)
    {
        var extra = new AdditionalPropertiesDictionary();
        if (body.Prediction is { } prediction)
        {
            string type = Required(prediction.Type, "prediction.type");
            if (type != "content")
            {
                throw OpenAIRequestException.BadRequest("prediction.type", $"Invalid value for 'prediction.type': '{type}'. Supported value is 'content'.");
            }

            extra[SpecAIKeys.Prediction] = Text(Required(prediction.Content, "prediction.content"), "prediction.content");
        }

        // Extra body fields, flat ("specai.mode": "draft") or nested ("specai": {"mode": "draft"}), in body order.
        foreach (var (name, value) in body.Extra ?? [])
        {
            if (name.StartsWith(SpecAIKeys.Prefix, StringComparison.Ordinal))
            {
                extra[name] = Scalar(value, name);
            }
            else if (name == "specai" && value.ValueKind != JsonValueKind.Null)
            {
                foreach (var nested in Object(value, "specai").EnumerateObject())
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

    /// <summary>A 400 for a field of the wrong JSON type.</summary>
    public static OpenAIRequestException TypeError(string path, string expected, JsonValueKind got)
        => OpenAIRequestException.BadRequest(path, $"Invalid type for '{path}': expected {expected}, but got {Describe(got)}.", "invalid_type");

    /// <summary>A 400 for a required field that is absent or null.</summary>
    public static OpenAIRequestException Missing(string path)
        => OpenAIRequestException.BadRequest(path, $"Missing required parameter: '{path}'.", "missing_required_parameter");

    private static object Scalar(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when value.TryGetInt64(out long integer) => integer,
        JsonValueKind.Number => value.GetDouble(),
        _ => throw OpenAIRequestException.BadRequest(path, $"Invalid type for '{path}': expected a string, number or boolean.", "invalid_type"),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
