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
/// <para>Enum values and declared keys are compiled into character tries, so checking a character costs the same for
/// 5 values as for 5,000. Limits (an <see cref="ArgumentException"/> naming the schema path when exceeded):
/// <see cref="MaxEnumValues"/> values per enum, <see cref="MaxProperties"/> keys per object, <see cref="MaxNameLength"/>
/// characters per value or key, <see cref="MaxDepth"/> nested subschemas and <see cref="MaxSubschemas"/> in all.</para>
/// </remarks>
internal sealed class JsonSchemaSubset
{
    /// <summary>Most values in one <c>enum</c>.</summary>
    public const int MaxEnumValues = 16_384;

    /// <summary>Most declared keys (<c>properties</c> and <c>required</c>) in one object schema.</summary>
    public const int MaxProperties = 16_384;

    /// <summary>Most characters in one enum value or key.</summary>
    public const int MaxNameLength = 4_096;

    /// <summary>Most nested subschemas (properties, items, additionalProperties) on one path.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most subschemas in one schema.</summary>
    public const int MaxSubschemas = 65_536;

    private JsonSchemaSubset(SchemaNode root) => Root = root;

    internal SchemaNode Root { get; }

    /// <summary>Compiles a schema.</summary>
    /// <param name="schema">The schema document's root element.</param>
    /// <returns>The compiled subset.</returns>
    /// <exception cref="ArgumentException">The schema exceeds one of the limits (the message names the schema path).</exception>
    public static JsonSchemaSubset FromJson(JsonElement schema)
    {
        int budget = MaxSubschemas;
        return new(SchemaNode.Compile(schema, "#", 0, ref budget));
    }

    /// <summary>Parses and compiles a schema given as JSON text.</summary>
    /// <param name="schemaJson">The schema text.</param>
    /// <returns>The compiled subset.</returns>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    /// <exception cref="ArgumentException">The schema exceeds one of the limits (the message names the schema path).</exception>
    public static JsonSchemaSubset Parse(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        using var document = JsonDocument.Parse(schemaJson);
        return FromJson(document.RootElement);
    }
}
