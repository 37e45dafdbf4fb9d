using SpecAI.Extensions.Constraints;

namespace SpecAI.Extensions.Tests.Constraints;

/// <summary>Schemas past the documented limits are refused with an <see cref="ArgumentException"/> naming the schema path.</summary>
public class JsonSchemaLimitTests
{
    private static string Strings(int count, Func<int, string> item) => string.Join(",", Enumerable.Range(0, count).Select(item));

    [Fact]
    public void EnumOverTheLimit_NamesItsPath()
    {
        string schema = "{\"properties\":{\"kind\":{\"enum\":[" + Strings(JsonSchemaSubset.MaxEnumValues + 1, i => $"\"v{i}\"") + "]}}}";
        var e = Assert.Throws<ArgumentException>("schema", () => JsonSchemaSubset.Parse(schema));
        Assert.Contains("#/properties/kind/enum", e.Message, StringComparison.Ordinal);
        Assert.Contains(JsonSchemaSubset.MaxEnumValues.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnumAtTheLimit_IsAccepted_AndEnforced()
    {
        var schema = JsonSchemaSubset.Parse("{\"type\":\"object\",\"properties\":{\"k\":{\"enum\":[" + Strings(JsonSchemaSubset.MaxEnumValues, i => $"\"v{i}\"") + "]}}}");
        Assert.True(JsonTokenConstraint.IsCompleteDocument("{\"k\": \"v16383\"}", schema));
        Assert.False(JsonTokenConstraint.IsValidPrefix("{\"k\": \"v16384", schema));
    }

    [Fact]
    public void TooManyProperties_NamesThePath()
    {
        string schema = "{\"properties\":{\"inner\":{\"properties\":{" + Strings(JsonSchemaSubset.MaxProperties + 1, i => $"\"p{i}\":{{}}") + "}}}}";
        var e = Assert.Throws<ArgumentException>("schema", () => JsonSchemaSubset.Parse(schema));
        Assert.Contains("#/properties/inner/properties", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongEnumValue_IsRefused()
    {
        string schema = "{\"enum\":[\"" + new string('x', JsonSchemaSubset.MaxNameLength + 1) + "\"]}";
        var e = Assert.Throws<ArgumentException>("schema", () => JsonSchemaSubset.Parse(schema));
        Assert.Contains("#/enum", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNesting_IsRefused_NotAStackOverflow()
    {
        string schema = string.Concat(Enumerable.Repeat("{\"items\":", JsonSchemaSubset.MaxDepth + 2)) + "{}" + new string('}', JsonSchemaSubset.MaxDepth + 2);
        using var document = System.Text.Json.JsonDocument.Parse(schema, new System.Text.Json.JsonDocumentOptions { MaxDepth = 1000 });
        var e = Assert.Throws<ArgumentException>("schema", () => JsonSchemaSubset.FromJson(document.RootElement));
        Assert.Contains("/items/items", e.Message, StringComparison.Ordinal);
    }
}
