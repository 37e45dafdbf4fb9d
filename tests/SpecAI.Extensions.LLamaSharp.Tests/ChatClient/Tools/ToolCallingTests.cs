using System.ComponentModel;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient.Tools;

/// <summary>Tool declarations make long prompts on a 512-token byte-level vocabulary: these tests use a 2,048-token context.</summary>
public sealed class ToolCallingTests : IDisposable
{
    private readonly SpeculativeChatClient _client = StoriesClients.Create(TestModels.StoriesF16, contextSize: 2048);

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task HermesToolCall_RunsUnderFunctionInvocation_ResultReachesNextTurn()
    {
        var client = _client;
        var endTokens = new HashSet<int> { 2 };
        string call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        var constraint = new ScriptedTextConstraint(client.TokenTexts, endTokens, call, "It is sunny in Paris.");
        string? calledWith = null;
        var tool = AIFunctionFactory.Create(([Description("City name")] string city) => { calledWith = city; return "sunny, 21 C"; }, "get_weather", "Current weather of a city");
        var seen = new List<IList<ChatMessage>>();
        using var pipeline = new ChatClientBuilder(client)
            .UseFunctionInvocation()
            .Use((messages, options, next, ct) => { seen.Add(messages.ToList()); return next(messages, options, ct); })
            .Build();

        long acceptedBefore = client.Statistics.AcceptedTokens;
        var response = await pipeline.GetResponseAsync("What is the weather in Paris?", new ChatOptions
        {
            Tools = [tool],
            Temperature = 0,
            MaxOutputTokens = 250,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Constraint] = constraint },
        });

        Assert.True(calledWith == "Paris", $"text [{response.Text}] finish {response.FinishReason} calls {seen.Count} contents {string.Join(";", response.Messages.SelectMany(m => m.Contents).Select(c => c.GetType().Name))}");
        Assert.Equal("It is sunny in Paris.", response.Text.Trim());
        Assert.Equal(2, seen.Count);
        var result = seen[1].SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Equal("sunny, 21 C", result.Result?.ToString());
        string secondPrompt = string.Concat(client.TokenizePrompt(seen[1], new ChatOptions { Tools = [tool] }).Select(t => client.TokenTexts[t]));
        Assert.Contains("<tool_response>", secondPrompt);
        Assert.Contains("sunny, 21 C", secondPrompt);
        Assert.Contains("\"get_weather\"", secondPrompt);
        Assert.True(client.Statistics.AcceptedTokens > acceptedBefore, "speculation stays on under tools");
    }

    [Fact]
    public async Task MalformedToolCall_ComesBackAsPlainText()
    {
        var client = _client;
        string broken = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {oops}</tool_call>";
        var constraint = new ScriptedTextConstraint(client.TokenTexts, new HashSet<int> { 2 }, broken);
        var tool = AIFunctionFactory.Create((string city) => "x", "get_weather");
        var response = await client.GetResponseAsync("Weather?", new ChatOptions
        {
            Tools = [tool],
            Temperature = 0,
            MaxOutputTokens = 250,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Constraint] = constraint },
        });
        Assert.Equal(broken, response.Text.Trim());
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.NotEqual(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Fact]
    public async Task ToolCall_ParsedIntoFunctionCallContent_WithToolCallsFinishReason()
    {
        var client = _client;
        string call = "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}</tool_call>";
        var constraint = new ScriptedTextConstraint(client.TokenTexts, new HashSet<int> { 2 }, call);
        var tool = AIFunctionFactory.Create((int a, int b) => a + b, "add");
        var response = await client.GetResponseAsync("2+3?", new ChatOptions
        {
            Tools = [tool],
            Temperature = 0,
            MaxOutputTokens = 250,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Constraint] = constraint },
        });
        Assert.True(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Count() == 1, $"text: [{response.Text}] finish {response.FinishReason}");
        var content = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("add", content.Name);
        Assert.Equal("2", content.Arguments!["a"]!.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }
}
