using SpecAI.Extensions.Constraints;

namespace SpecAI.Extensions.Tests.Constraints;

/// <summary>Literal text around the document (a tool call's tags).</summary>
public class JsonPrefixSuffixTests
{
    private static readonly JsonTokenConstraintOptions Tagged = new() { Prefix = "<tool_call>", Suffix = "</tool_call>" };

    [Theory]
    [InlineData("<tool_call>{\"a\": 1}</tool_call>", true)]
    [InlineData("<tool_call>\n{\"a\": 1}\n</tool_call>\n", true)]
    [InlineData("<tool_call>{\"a\": 1}", false)]
    [InlineData("<tool_call>{\"a\": 1}</tool_", false)]
    public void Complete_OnlyAfterTheSuffix(string text, bool complete) =>
        Assert.Equal(complete, JsonTokenConstraint.IsCompleteDocument(text, options: Tagged));

    [Theory]
    [InlineData("<tool")]
    [InlineData("<tool_call>  {\"a\": [1")]
    [InlineData("<tool_call>{} </tool")]
    public void ValidPrefixes(string text) => Assert.True(JsonTokenConstraint.IsValidPrefix(text, options: Tagged), text);

    [Theory]
    [InlineData("{")]
    [InlineData("<tool_call>x")]
    [InlineData("<tool_call>{}x")]
    [InlineData("<tool_call>{}   </tool_call>")]
    [InlineData("<tool_call>{}</tool_call>x")]
    public void InvalidPrefixes(string text) => Assert.False(JsonTokenConstraint.IsValidPrefix(text, options: Tagged), text);

    [Fact]
    public void EndOfGeneration_OnlyAfterTheSuffix()
    {
        string[] texts = ["<tool_call>", "{", "}", "</tool_call>", "</s>"];
        var constraint = new JsonTokenConstraint(texts, [4], options: Tagged);
        Assert.False(constraint.IsAllowed([0, 1, 2], 4));
        Assert.True(constraint.IsAllowed([0, 1, 2], 3));
        Assert.True(constraint.IsAllowed([0, 1, 2, 3], 4));
        Assert.False(constraint.IsAllowed([], 1));
    }
}
