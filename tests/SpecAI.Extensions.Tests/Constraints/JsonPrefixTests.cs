using SpecAI.Extensions.Constraints;

namespace SpecAI.Extensions.Tests.Constraints;

public class JsonPrefixTests
{
    [Theory]
    [InlineData("")]
    [InlineData("  \n\t{")]
    [InlineData("{\"a\"")]
    [InlineData("{\"a\":")]
    [InlineData("{\"a\": -0.5e+3")]
    [InlineData("{\"a\": -0.5E-3, \"b\": [1, [2, [3, []]], {}]")]
    [InlineData("{\"a\": \"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"")]
    [InlineData("{\"a\": \"\\u00")]
    [InlineData("{\"a\": tr")]
    [InlineData("{\"a\": [true, false, null")]
    [InlineData("{\"a\": -")]
    [InlineData("{\"a\": 0.")]
    [InlineData("{\"a\": 1e")]
    [InlineData("{\"a\": 1e+")]
    [InlineData("{} ")]
    [InlineData("{}  ")]
    public void ValidPrefixes(string text) => Assert.True(JsonTokenConstraint.IsValidPrefix(text), text);

    [Theory]
    [InlineData("[")]
    [InlineData("1")]
    [InlineData("{a")]
    [InlineData("{\"a\" 1")]
    [InlineData("{\"a\":}")]
    [InlineData("{\"a\": 01")]
    [InlineData("{\"a\": -a")]
    [InlineData("{\"a\": 1.e5")]
    [InlineData("{\"a\": 1e+-")]
    [InlineData("{\"a\": .5")]
    [InlineData("{\"a\": +1")]
    [InlineData("{\"a\": \"\\x\"")]
    [InlineData("{\"a\": \"\\u00g")]
    [InlineData("{\"a\": \"\n\"")]
    [InlineData("{\"a\": tru }")]
    [InlineData("{\"a\": 1,}")]
    [InlineData("{\"a\": [1,]")]
    [InlineData("{\"a\": [1 2]")]
    [InlineData("{\"a\": [1}")]
    [InlineData("{}}")]
    [InlineData("{}   ")]
    [InlineData("{} x")]
    public void InvalidPrefixes(string text) => Assert.False(JsonTokenConstraint.IsValidPrefix(text), text);

    [Theory]
    [InlineData("{}", true)]
    [InlineData(" {\"a\": [1, -0.5e+3, {\"b\": null}]} ", true)]
    [InlineData("{\"a\": 1", false)]
    [InlineData("{\"a\": \"x", false)]
    public void CompleteDocuments(string text, bool complete) => Assert.Equal(complete, JsonTokenConstraint.IsCompleteDocument(text));

    [Fact]
    public void TopLevel_ObjectByDefault_AnyValueWhenConfigured()
    {
        var any = new JsonTokenConstraintOptions { RequireTopLevelObject = false };
        Assert.False(JsonTokenConstraint.IsValidPrefix("[1]"));
        Assert.True(JsonTokenConstraint.IsCompleteDocument("[1]", options: any));
        Assert.True(JsonTokenConstraint.IsCompleteDocument("-12.5", options: any));
        Assert.True(JsonTokenConstraint.IsCompleteDocument("\"s\"", options: any));
        Assert.False(JsonTokenConstraint.IsCompleteDocument("-", options: any));
        Assert.True(JsonTokenConstraint.IsCompleteDocument("null ", options: any));
    }

    [Fact]
    public void MaxDepth_RefusesDeeperContainers()
    {
        var options = new JsonTokenConstraintOptions { MaxDepth = 2 };
        Assert.True(JsonTokenConstraint.IsValidPrefix("{\"a\": [1", options: options));
        Assert.False(JsonTokenConstraint.IsValidPrefix("{\"a\": [[", options: options));
    }

    private static readonly JsonSchemaSubset Schema = JsonSchemaSubset.Parse("""
        {
          "type": "object",
          "properties": {
            "name": { "type": "string" },
            "age": { "type": "integer" },
            "score": { "type": "number" },
            "kind": { "enum": ["alpha", "beta"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "ok": { "type": ["boolean", "null"] },
            "any": { "minimum": 3 }
          },
          "required": ["name", "kind"],
          "additionalProperties": false
        }
        """);

    [Theory]
    [InlineData("{\"name\": \"x\", \"kind\": \"beta\"}", true)]
    [InlineData("{\"kind\": \"al\\u0070ha\", \"name\": \"\", \"ok\": null, \"tags\": [\"a\"], \"age\": -3, \"score\": 1.5e3, \"any\": [{}]}", true)]
    [InlineData("{\"n\\u0061me\": \"\", \"kind\": \"\\u0062eta\"}", true)]
    public void Schema_AcceptsConformingDocuments(string text, bool complete)
        => Assert.Equal(complete, JsonTokenConstraint.IsCompleteDocument(text, Schema));

    [Theory]
    [InlineData("[")]
    [InlineData("{\"nam\"")]
    [InlineData("{\"other")]
    [InlineData("{\"name\": 1")]
    [InlineData("{\"name\": \"x\"}")]
    [InlineData("{\"name\": \"x\", \"name\"")]
    [InlineData("{\"age\": 1.")]
    [InlineData("{\"age\": 1e")]
    [InlineData("{\"kind\": \"gamma")]
    [InlineData("{\"kind\": \"alph\"")]
    [InlineData("{\"tags\": [1")]
    [InlineData("{\"ok\": \"")]
    [InlineData("{\"kind\": \"\\u00e")]
    [InlineData("{\"kind\": \"alpha\\")]
    [InlineData("{\"n\\u0062")]
    public void Schema_RejectsViolations(string text) => Assert.False(JsonTokenConstraint.IsValidPrefix(text, Schema), text);

    [Fact]
    public void Schema_ClosedObject_NoCommaWhenEveryKeyIsUsed()
    {
        var schema = JsonSchemaSubset.Parse("""{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false}""");
        Assert.True(JsonTokenConstraint.IsCompleteDocument("{\"a\": 1}", schema));
        Assert.False(JsonTokenConstraint.IsValidPrefix("{\"a\": 1,", schema));
        Assert.True(JsonTokenConstraint.IsCompleteDocument("{}", schema));
    }

    [Fact]
    public void Schema_UnsupportedKeywordsFallBackToGenericJson()
    {
        var schema = JsonSchemaSubset.Parse("""{"type":"object","properties":{"a":{"anyOf":[{"type":"string"}]},"b":{"enum":[1,"x"]}}}""");
        Assert.True(JsonTokenConstraint.IsCompleteDocument("{\"a\": [1, {}], \"b\": true, \"c\": null}", schema));
    }
}
