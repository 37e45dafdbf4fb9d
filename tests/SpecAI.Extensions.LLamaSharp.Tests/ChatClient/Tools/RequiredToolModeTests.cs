using System.Text.Json;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.Constraints;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient.Tools;

/// <summary><see cref="RequiredChatToolMode"/> is honoured: a grammar forces a call to a declared tool.</summary>
public sealed class RequiredToolModeTests : IDisposable
{
    private static readonly AIFunctionDeclaration Weather = AIFunctionFactory.CreateDeclaration(
        "get_weather", "Current weather", JsonDocument.Parse("""{"type":"object","properties":{},"additionalProperties":false}""").RootElement);

    private static readonly AIFunctionDeclaration Time = AIFunctionFactory.CreateDeclaration(
        "get_time", "Current time", JsonDocument.Parse("""{"type":"object","properties":{},"additionalProperties":false}""").RootElement);

    private readonly SpeculativeChatClient _client = StoriesClients.Create(TestModels.StoriesF16, contextSize: 2048);

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData(null, 0)]
    [InlineData("get_time", 1)]
    [InlineData(null, 2)]
    public async Task RequiredToolMode_ForcesACallToADeclaredTool(string? requiredName, int seed)
    {
        var response = await _client.GetResponseAsync("Once upon a time there was a girl.", new ChatOptions
        {
            Tools = [Weather, Time],
            ToolMode = requiredName is null ? ChatToolMode.RequireAny : ChatToolMode.RequireSpecific(requiredName),
            Temperature = 1,
            Seed = seed,
            MaxOutputTokens = 300,
        });

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Contains(call.Name, new[] { "get_weather", "get_time" });
        if (requiredName is not null)
        {
            Assert.Equal(requiredName, call.Name);
        }

        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Fact]
    public async Task RequiredToolMode_WithoutTools_OrNamingAnUndeclaredTool_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync("Hi", new ChatOptions { ToolMode = ChatToolMode.RequireAny }));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync("Hi", new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.RequireSpecific("launch") }));
    }

    [Fact]
    public void JsonRequests_ShareOneVocabularyTrie()
    {
        var constraints = new RequestConstraints(() => _client.TokenTexts, new HashSet<int> { 2 }, ToolCallFormat.Hermes);
        var first = Assert.IsType<JsonTokenConstraint>(constraints.For(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        var second = Assert.IsType<JsonTokenConstraint>(constraints.For(new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.RequireAny }));
        Assert.Same(first.Vocabulary, second.Vocabulary);
        Assert.Null(constraints.For(new ChatOptions()));
    }

    [Theory]
    [InlineData(ToolCallFormat.Hermes, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>", true)]
    [InlineData(ToolCallFormat.Hermes, "{\"name\": \"get_weather\", \"arguments\": {}}", false)]
    [InlineData(ToolCallFormat.Hermes, "<tool_call>{\"name\": \"launch\", \"arguments\": {}}</tool_call>", false)]
    [InlineData(ToolCallFormat.Llama31, "{\"name\": \"get_time\", \"parameters\": {}}", true)]
    [InlineData(ToolCallFormat.Llama31, "{\"name\": \"get_time\", \"parameters\": {\"x\": 1}}", false)]
    [InlineData(ToolCallFormat.Llama31, "{\"parameters\": {}, \"name\": \"get_weather\"}", true)]
    public void ToolCallGrammar_AcceptsExactlyCallsInTheFormat(ToolCallFormat format, string text, bool accepted)
    {
        var constraints = new RequestConstraints(() => ["a"], new HashSet<int>(), format);
        var constraint = Assert.IsType<JsonTokenConstraint>(constraints.For(new ChatOptions { Tools = [Weather, Time], ToolMode = ChatToolMode.RequireAny }));
        Assert.Equal(accepted, JsonTokenConstraint.IsCompleteDocument(text, constraint.Schema, constraint.Options));
    }

    [Theory]
    [InlineData("<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}</tool_call>", true)]
    [InlineData("<tool_call>{\"name\": \"echo\", \"arguments\": {\"text\": \"hi\"}}</tool_call>", true)]
    [InlineData("<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": \"one\"}}</tool_call>", false)]
    public void SeveralTools_ArgumentsFollowTheUnionOfTheirSchemas(string text, bool accepted)
    {
        var add = AIFunctionFactory.Create((int a, int b) => a + b, "add");
        var echo = AIFunctionFactory.Create((string text) => text, "echo");
        var constraints = new RequestConstraints(() => ["a"], new HashSet<int>(), ToolCallFormat.Generic);
        var constraint = Assert.IsType<JsonTokenConstraint>(constraints.For(new ChatOptions { Tools = [add, echo], ToolMode = ChatToolMode.RequireAny }));
        Assert.Equal(accepted, JsonTokenConstraint.IsCompleteDocument(text, constraint.Schema, constraint.Options));
    }
}
