using SpecAI.Extensions.ChatClient.Tools;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient.Tools;

public sealed class ToolCallParserTests
{
    private static readonly HashSet<string> Declared = new(StringComparer.Ordinal) { "get_weather", "add" };

    [Theory]
    [InlineData("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}")]
    [InlineData("<|python_tag|>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}")]
    [InlineData(" {\"name\": \"get_weather\", \"parameters\": \"{\\\"city\\\": \\\"Paris\\\"}\"} ")]
    public void Llama31_DeclaredToolWithArguments_IsACall(string answer)
    {
        var (text, calls) = ToolCallParser.Parse(answer, ToolCallFormat.Llama31, Declared);
        var call = Assert.Single(calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Arguments!["city"]!.ToString());
        Assert.Equal(string.Empty, text);
    }

    [Theory]
    [InlineData("{\"name\": \"Alice\", \"age\": 7}")]
    [InlineData("{\"name\": \"Alice\", \"parameters\": {\"age\": 7}}")]
    [InlineData("{\"name\": \"get_weather\"}")]
    [InlineData("{\"name\": \"get_weather\", \"parameters\": 3}")]
    [InlineData("{\"name\": \"get_weather\", \"parameters\": null}")]
    [InlineData("{\"name\": \"GET_WEATHER\", \"parameters\": {}}")]
    public void Llama31_JsonThatIsNotADeclaredCall_StaysText(string answer)
    {
        var (text, calls) = ToolCallParser.Parse(answer, ToolCallFormat.Llama31, Declared);
        Assert.Empty(calls);
        Assert.Equal(answer, text);
    }

    [Fact]
    public void Llama31_Buffer_ReleasesAJsonAnswerAsText()
    {
        var buffer = new ToolCallBuffer(Declared, ToolCallFormat.Llama31);
        string answer = "{\"name\": \"Alice\", \"city\": \"Paris\"}";
        Assert.Equal(string.Empty, buffer.Push(answer));
        var (text, calls) = buffer.Complete();
        Assert.Empty(calls);
        Assert.Equal(answer, text);
    }

    [Fact]
    public void Hermes_CallsStillParse()
    {
        var (text, calls) = ToolCallParser.Parse("<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 2}}</tool_call>", ToolCallFormat.Hermes, Declared);
        Assert.Equal("add", Assert.Single(calls).Name);
        Assert.Equal(string.Empty, text);
    }

    [Fact]
    public void NoDeclaredTools_NothingIsHeld()
    {
        var buffer = new ToolCallBuffer(new HashSet<string>(), ToolCallFormat.Llama31);
        Assert.Equal("{\"name\": \"x\"}", buffer.Push("{\"name\": \"x\"}"));
    }
}
