using System.Text.Json;

namespace SpecAI.Extensions.Constraints;

/// <summary>One compiled subschema.</summary>
internal sealed class SchemaNode
{
    public static readonly SchemaNode Generic = new();

    public JsonTypes Types { get; private set; } = JsonTypes.Any;

    public string[] Required { get; private set; } = [];

    public bool AdditionalAllowed { get; private set; } = true;

    public SchemaNode Additional { get => field ?? Generic; private set; }

    public SchemaNode Items { get => field ?? Generic; private set; }

    /// <summary>The allowed string values, or null when any string is.</summary>
    public StringTrie? Enum { get; private set; }

    /// <summary>Declared keys (<c>properties</c> and <c>required</c>); with <see cref="AdditionalAllowed"/> false, the only keys.</summary>
    public StringTrie Keys { get; private set; } = StringTrie.Empty;

    /// <summary>The value schema of each declared key, by its index in <see cref="Keys"/>.</summary>
    public SchemaNode[] KeyValues { get; private set; } = [];

    /// <summary>Indices in <see cref="Keys"/> of the required keys.</summary>
    public int[] RequiredKeys { get; private set; } = [];

    /// <summary>Whether objects of this schema record their keys (for required, uniqueness, closed key sets).</summary>
    public bool TracksKeys { get; private set; }

    /// <summary>Whether numbers must be integers (integer allowed, number not).</summary>
    public bool IntegerOnly => (Types & JsonTypes.Number) == 0;

    /// <summary>Compiles <paramref name="element"/>, found at JSON pointer <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The schema exceeds a limit of <see cref="JsonSchemaSubset"/>.</exception>
    public static SchemaNode Compile(JsonElement element, string path, int depth, ref int budget)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Generic;
        }

        if (depth > JsonSchemaSubset.MaxDepth)
        {
            throw Limit(path, $"nests deeper than {JsonSchemaSubset.MaxDepth} subschemas");
        }

        if (--budget < 0)
        {
            throw Limit(path, $"brings the schema over {JsonSchemaSubset.MaxSubschemas} subschemas");
        }

        var node = new SchemaNode();
        if (element.TryGetProperty("type", out var type))
        {
            JsonTypes types = JsonTypes.None;
            if (type.ValueKind == JsonValueKind.String)
            {
                types = TypeOf(type.GetString());
            }
            else if (type.ValueKind == JsonValueKind.Array)
            {
                foreach (var t in type.EnumerateArray())
                {
                    types |= t.ValueKind == JsonValueKind.String ? TypeOf(t.GetString()) : JsonTypes.None;
                }
            }

            if (types != JsonTypes.None)
            {
                node.Types = types;
            }
        }

        if (element.TryGetProperty("enum", out var enumeration) && enumeration.ValueKind == JsonValueKind.Array
            && enumeration.GetArrayLength() > 0 && enumeration.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            && (node.Types & JsonTypes.String) != 0)
        {
            if (enumeration.GetArrayLength() > JsonSchemaSubset.MaxEnumValues)
            {
                throw Limit(path + "/enum", $"has {enumeration.GetArrayLength()} values; at most {JsonSchemaSubset.MaxEnumValues} are supported");
            }

            node.Enum = new StringTrie(Names(enumeration.EnumerateArray().Select(e => e.GetString()!), path + "/enum"));
            node.Types = JsonTypes.String;
        }

        var properties = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
        if (element.TryGetProperty("properties", out var declared) && declared.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in declared.EnumerateObject())
            {
                if (properties.Count == JsonSchemaSubset.MaxProperties)
                {
                    throw Limit(path + "/properties", $"declares more than {JsonSchemaSubset.MaxProperties} properties");
                }

                properties[property.Name] = Compile(property.Value, path + "/properties/" + Escape(property.Name), depth + 1, ref budget);
            }
        }

        if (element.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            node.Required = required.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String)
                .Select(r => r.GetString()!).Distinct(StringComparer.Ordinal).Take(JsonSchemaSubset.MaxProperties + 1).ToArray();
        }

        if (element.TryGetProperty("additionalProperties", out var additional))
        {
            if (additional.ValueKind == JsonValueKind.False)
            {
                node.AdditionalAllowed = false;
            }
            else
            {
                node.Additional = Compile(additional, path + "/additionalProperties", depth + 1, ref budget);
            }
        }

        if (element.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object)
        {
            node.Items = Compile(items, path + "/items", depth + 1, ref budget);
        }

        var keys = properties.Keys.Concat(node.Required).ToList();
        if (keys.Distinct(StringComparer.Ordinal).Count() > JsonSchemaSubset.MaxProperties)
        {
            throw Limit(path, $"declares more than {JsonSchemaSubset.MaxProperties} keys (properties and required)");
        }

        node.Keys = new StringTrie(Names(keys, path + "/properties"));
        node.KeyValues = node.Keys.Strings.Select(k => properties.TryGetValue(k, out var value) ? value : node.Additional).ToArray();
        node.RequiredKeys = node.Required.Select(node.Keys.IndexOf).ToArray();

        // A closed object with no key can only be "{}": still tracked, with no key permitted.
        node.TracksKeys = node.Keys.Count > 0 || !node.AdditionalAllowed;
        return node;
    }

    private static IEnumerable<string> Names(IEnumerable<string> names, string path)
    {
        foreach (string name in names)
        {
            if (name.Length > JsonSchemaSubset.MaxNameLength)
            {
                throw Limit(path, $"holds a {name.Length}-character string; at most {JsonSchemaSubset.MaxNameLength} are supported");
            }

            yield return name;
        }
    }

    private static ArgumentException Limit(string path, string what) =>
        new($"JSON schema at '{path}' {what} (limits of {nameof(JsonSchemaSubset)}).", "schema");

    /// <summary>JSON pointer escaping of a property name.</summary>
    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static JsonTypes TypeOf(string? name) => name switch
    {
        "object" => JsonTypes.Object,
        "array" => JsonTypes.Array,
        "string" => JsonTypes.String,
        "number" => JsonTypes.Number | JsonTypes.Integer,
        "integer" => JsonTypes.Integer,
        "boolean" => JsonTypes.Boolean,
        "null" => JsonTypes.Null,
        _ => JsonTypes.None,
    };
}
