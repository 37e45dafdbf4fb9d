using SpecAI.Extensions.Constraints;

namespace SpecAI.Extensions.Tests.Constraints;

public class JsonWhitespaceTests
{
    [Theory]
    [InlineData("{    ", true)]
    [InlineData("{     ", false)]
    [InlineData("\n\n\n\n{", true)]
    [InlineData("\n\n\n\n\n{", false)]
    [InlineData("{\"a\":    1", true)]
    [InlineData("{\"a\":     1", false)]
    [InlineData("{\"a\": \"          spaces inside strings are content\"", true)]
    public void WhitespaceRunsOutsideStrings_AreBounded(string text, bool valid)
    {
        Assert.Equal(valid, JsonTokenConstraint.IsValidPrefix(text));
    }

    [Fact]
    public void MaxWhitespaceRun_BelowOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>("MaxWhitespaceRun", () => new JsonTokenConstraintOptions { MaxWhitespaceRun = 0 }.Validate());
    }
}
