using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Deserializes a request body into its DTO with the source-generated <see cref="RequestJsonContext"/>. A body that is
/// not JSON is an <c>invalid_json</c> 400; a field of the wrong JSON type an <c>invalid_type</c> 400 that names it by
/// its path (<c>messages[1].content</c>), what it takes (from the DTO's metadata) and what it got (from the body).
/// </summary>
internal static class RequestBody
{
    /// <summary>Reads the body and deserializes it.</summary>
    /// <exception cref="OpenAIRequestException">The body is not valid JSON, not an object, or a field has the wrong type.</exception>
    public static async Task<TDto> ReadAsync<TDto>(Stream body, JsonTypeInfo<TDto> typeInfo, CancellationToken cancellationToken)
        where TDto : class
    {
        ReadOnlyMemory<byte> json;
        if (body is MemoryStream buffered && buffered.TryGetBuffer(out var segment))
        {
            // The server guard has already buffered the body (within the size limit).
            json = segment.AsMemory((int)buffered.Position);
        }
        else
        {
            using var copy = new MemoryStream();
            await body.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            json = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        }

        return Deserialize(json, typeInfo);
    }

    /// <summary>Deserializes a body.</summary>
    /// <exception cref="OpenAIRequestException">The body is not valid JSON, not an object, or a field has the wrong type.</exception>
    public static TDto Deserialize<TDto>(ReadOnlyMemory<byte> json, JsonTypeInfo<TDto> typeInfo)
        where TDto : class
    {
        if (json.Span.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        try
        {
            return JsonSerializer.Deserialize(json.Span, typeInfo) ?? throw RequestFields.TypeError("body", "an object", JsonValueKind.Null);
        }
        catch (JsonException ex)
        {
            throw ToRequestError(json, typeInfo, ex);
        }
    }

    private static OpenAIRequestException ToRequestError(ReadOnlyMemory<byte> json, JsonTypeInfo typeInfo, JsonException ex)
    {
        // The whole body's syntax first: a document with a type error early and a syntax error late is not JSON.
        var reader = new Utf8JsonReader(json.Span);
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException syntax)
        {
            return new OpenAIRequestException(400, $"The request body is not valid JSON: {syntax.Message}", null, code: "invalid_json", innerException: syntax);
        }

        using var document = JsonDocument.Parse(json);
        return TypeError(ex, typeInfo, string.Empty, document.RootElement);
    }

    /// <summary>The type error <paramref name="ex"/> stands for, its path continuing <paramref name="prefix"/>.</summary>
    private static OpenAIRequestException TypeError(JsonException ex, JsonTypeInfo typeInfo, string prefix, JsonElement root)
    {
        string relative = (ex.Path ?? "$")[1..];
        string path = prefix + relative;
        if (ex is UnionBranchException branch)
        {
            return TypeError(branch.Inner, branch.Branch, path, root);
        }

        string expected = ex is UnionTypeException union ? union.Expected : Expected(typeInfo, relative);
        string param = path.TrimStart('.');
        return RequestFields.TypeError(param.Length > 0 ? param : "body", expected, KindAt(root, path));
    }

    /// <summary>What the DTO takes at <paramref name="path"/> (a serializer path without its <c>$</c>).</summary>
    private static string Expected(JsonTypeInfo typeInfo, string path)
    {
        var info = typeInfo;
        foreach (var (name, index) in Segments(path))
        {
            var next = name is null ? info.ElementType : info.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType;
            if (next is null)
            {
                return "a valid value";
            }

            info = info.Options.GetTypeInfo(next);
        }

        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        return info.Kind switch
        {
            JsonTypeInfoKind.Enumerable => "an array",
            JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "a boolean",
            _ when type == typeof(long) => "an integer",
            _ when type == typeof(double) => "a number",
            _ => "a valid value",
        };
    }

    /// <summary>The JSON kind of the value at <paramref name="path"/> in the body.</summary>
    private static JsonValueKind KindAt(JsonElement root, string path)
    {
        var value = root;
        foreach (var (name, index) in Segments(path))
        {
            if (name is null ? value.ValueKind != JsonValueKind.Array || index >= value.GetArrayLength()
                : value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out _))
            {
                return JsonValueKind.Undefined;
            }

            value = name is null ? value[index] : value.GetProperty(name);
        }

        return value.ValueKind;
    }

    /// <summary>The steps of a serializer path (<c>.name</c>, <c>['name']</c>, <c>[index]</c>): a name, or null and an index.</summary>
    private static IEnumerable<(string? Name, int Index)> Segments(string path)
    {
        int i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                int end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], 0);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                int end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                yield return (path[(i + 2)..end], 0);
                i = end + 2;
            }
            else
            {
                int end = path.IndexOf(']', i);
                yield return (null, int.Parse(path.AsSpan(i + 1, end - i - 1), System.Globalization.CultureInfo.InvariantCulture));
                i = end + 1;
            }
        }
    }
}
