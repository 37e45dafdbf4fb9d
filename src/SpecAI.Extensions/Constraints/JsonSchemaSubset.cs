using System.Text.Json;

namespace SpecAI.Extensions.Constraints;

/// <summary>
/// A compiled subset of JSON Schema that <see cref="JsonTokenConstraint"/> enforces while tokens are generated.
/// </summary>
/// <remarks>
/// <para>Supported keywords (anywhere in the schema tree):</para>
/// <list type="bullet">
/// <item><description><c>type</c>: <c>"object"</c>, <c>"array"</c>, <c>"string"</c>, <c>"number"</c>, <c>"integer"</c>,
/// <c>"boolean"</c>, <c>"null"</c>, or an array of these (a union). <c>"integer"</c> is enforced lexically: no fraction and
/// no exponent (so <c>1.0</c> and <c>1e2</c> are not produced). Unknown type names are ignored.</description></item>
/// <item><description><c>properties</c>: the schema of each named member's value.</description></item>
/// <item><description><c>required</c>: these member names must all appear before the object may close.</description></item>
/// <item><description><c>additionalProperties</c>: <c>false</c> restricts keys to the names in <c>properties</c> and
/// <c>required</c>; a schema object types the values of undeclared members; <c>true</c> or absent allows any key with a
/// value of any JSON type.</description></item>
/// <item><description><c>items</c> (a single schema): the schema of every array element.</description></item>
/// <item><description><c>enum</c> whose entries are all strings: the value must be one of those strings (compared after
/// unescaping, so <c>"\u0061"</c> counts as <c>"a"</c>).</description></item>
/// </list>
/// <para>In an object that has <c>properties</c>, <c>required</c> or <c>additionalProperties: false</c>, a member name may
/// appear only once. A <c>,</c> is allowed only while some permitted key is still unused, so a closed object can never
/// reach a dead end.</para>
/// <para>Fallbacks: every other keyword (<c>$ref</c>, <c>anyOf</c>/<c>oneOf</c>/<c>allOf</c>, <c>const</c>, <c>pattern</c>,
/// <c>format</c>, <c>minimum</c>, <c>minLength</c>, <c>minItems</c>, <c>prefixItems</c>, array-valued <c>items</c>, ...) is
/// ignored, so the subschema accepts more than the full schema would. An <c>enum</c> that is empty or holds a non-string is
/// ignored, and so is one whose strings conflict with a declared <c>type</c> without <c>"string"</c>. A boolean schema
/// (<c>true</c> or <c>false</c>) and a subschema with none of the supported keywords mean "any JSON value" (generic JSON);
/// <c>false</c> is meaningful only as the value of <c>additionalProperties</c>.</para>
/// </remarks>
public sealed class JsonSchemaSubset
{
    private JsonSchemaSubset(SchemaNode root) => Root = root;

    internal SchemaNode Root { get; }

    /// <summary>Compiles a schema.</summary>
    /// <param name="schema">The schema document's root element.</param>
    /// <returns>The compiled subset.</returns>
    public static JsonSchemaSubset FromJson(JsonElement schema) => new(SchemaNode.Compile(schema));

    /// <summary>Parses and compiles a schema given as JSON text.</summary>
    /// <param name="schemaJson">The schema text.</param>
    /// <returns>The compiled subset.</returns>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static JsonSchemaSubset Parse(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        using var document = JsonDocument.Parse(schemaJson);
        return FromJson(document.RootElement);
    }
}

/// <summary>JSON value kinds a subschema admits.</summary>
[Flags]
internal enum JsonTypes
{
    None = 0,
    Object = 1,
    Array = 2,
    String = 4,
    Number = 8,
    Integer = 16,
    Boolean = 32,
    Null = 64,
    Any = Object | Array | String | Number | Integer | Boolean | Null,
}

/// <summary>One compiled subschema.</summary>
internal sealed class SchemaNode
{
    public static readonly SchemaNode Generic = new();

    public JsonTypes Types { get; private set; } = JsonTypes.Any;

    public Dictionary<string, SchemaNode> Properties { get; } = new(StringComparer.Ordinal);

    public string[] Required { get; private set; } = [];

    public bool AdditionalAllowed { get; private set; } = true;

    public SchemaNode Additional { get => field ?? Generic; private set; }

    /// <summary>When <see cref="AdditionalAllowed"/> is false: every permitted key.</summary>
    public string[] AllowedKeys { get; private set; } = [];

    public SchemaNode Items { get => field ?? Generic; private set; }

    public string[]? Enum { get; private set; }

    /// <summary>Whether objects of this schema record their keys (for required, uniqueness, closed key sets).</summary>
    public bool TracksKeys { get; private set; }

    /// <summary>Whether numbers must be integers (integer allowed, number not).</summary>
    public bool IntegerOnly => (Types & JsonTypes.Number) == 0;

    public SchemaNode ValueSchema(string key) =>
        Properties.TryGetValue(key, out var node) ? node : Additional;

    public static SchemaNode Compile(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Generic;
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
            node.Enum = enumeration.EnumerateArray().Select(e => e.GetString()!).Distinct(StringComparer.Ordinal).ToArray();
            node.Types = JsonTypes.String;
        }

        if (element.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                node.Properties[property.Name] = Compile(property.Value);
            }
        }

        if (element.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            node.Required = required.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String)
                .Select(r => r.GetString()!).Distinct(StringComparer.Ordinal).ToArray();
        }

        if (element.TryGetProperty("additionalProperties", out var additional))
        {
            if (additional.ValueKind == JsonValueKind.False)
            {
                node.AdditionalAllowed = false;
                node.AllowedKeys = node.Properties.Keys.Concat(node.Required).Distinct(StringComparer.Ordinal).ToArray();
            }
            else
            {
                node.Additional = Compile(additional);
            }
        }

        if (element.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object)
        {
            node.Items = Compile(items);
        }

        node.TracksKeys = node.Properties.Count > 0 || node.Required.Length > 0 || !node.AdditionalAllowed;
        if (!node.AdditionalAllowed && node.AllowedKeys.Length == 0)
        {
            // Only "{}" is possible: still tracked, with no key permitted.
            node.TracksKeys = true;
        }

        return node;
    }

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
