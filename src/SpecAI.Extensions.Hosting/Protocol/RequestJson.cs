using System.Text.Json;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Typed reads of request fields; a wrong type or range is a 400 naming the field by its JSON path.</summary>
internal static class RequestJson
{
    /// <summary>The field's value when present and not JSON null.</summary>
    public static bool TryGet(JsonElement parent, string name, out JsonElement value)
        => parent.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A required field.</summary>
    public static JsonElement Required(JsonElement parent, string name, string path)
        => TryGet(parent, name, out var value) ? value : throw OpenAIRequestException.BadRequest(path, $"Missing required parameter: '{path}'.", "missing_required_parameter");

    /// <summary>Checks a value is a JSON object.</summary>
    public static JsonElement Object(JsonElement value, string path)
        => value.ValueKind == JsonValueKind.Object ? value : throw TypeError(path, "an object", value);

    /// <summary>Checks a value is a JSON array.</summary>
    public static JsonElement Array(JsonElement value, string path)
        => value.ValueKind == JsonValueKind.Array ? value : throw TypeError(path, "an array", value);

    /// <summary>Reads a string.</summary>
    public static string String(JsonElement value, string path)
        => value.ValueKind == JsonValueKind.String ? value.GetString()! : throw TypeError(path, "a string", value);

    /// <summary>Reads a boolean.</summary>
    public static bool Boolean(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw TypeError(path, "a boolean", value),
    };

    /// <summary>Reads a number in [min, max].</summary>
    public static double Number(JsonElement value, string path, double min, double max)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw TypeError(path, "a number", value);
        }

        double number = value.GetDouble();
        return number >= min && number <= max
            ? number
            : throw OpenAIRequestException.BadRequest(path, $"Invalid '{path}': {number} is outside [{min}, {max}].");
    }

    /// <summary>Reads an integer in [min, max].</summary>
    public static long Integer(JsonElement value, string path, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
        {
            throw TypeError(path, "an integer", value);
        }

        return number >= min && number <= max
            ? number
            : throw OpenAIRequestException.BadRequest(path, $"Invalid '{path}': {number} is outside [{min}, {max}].");
    }

    /// <summary>Reads content given as a string or as an array of text parts (<c>{"type": "text", "text": ...}</c>).</summary>
    public static string Text(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw TypeError(path, "a string or an array of content parts", value);
        }

        var text = new System.Text.StringBuilder();
        int i = 0;
        foreach (var part in value.EnumerateArray())
        {
            string partPath = $"{path}[{i++}]";
            Object(part, partPath);
            string type = String(Required(part, "type", partPath + ".type"), partPath + ".type");
            if (type != "text")
            {
                throw OpenAIRequestException.BadRequest(partPath + ".type", $"Content part type '{type}' is not supported; this server accepts text only.", "unsupported_content");
            }

            text.Append(String(Required(part, "text", partPath + ".text"), partPath + ".text"));
        }

        return text.ToString();
    }

    private static OpenAIRequestException TypeError(string path, string expected, JsonElement value)
        => OpenAIRequestException.BadRequest(path, $"Invalid type for '{path}': expected {expected}, but got {Describe(value.ValueKind)}.", "invalid_type");

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
