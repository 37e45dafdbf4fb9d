using System.ComponentModel;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.AgentFramework.Tests.TestSupport;

namespace SpecAI.Extensions.AgentFramework.Tests;

/// <summary>
/// Function tools of a <see cref="ChatClientAgent"/> over the speculative client. stories260K is not trained to call
/// tools, so a grammar constraint (<see cref="SpeculativeChatOptionKeys.Constraint"/>) makes it write the call, then the
/// answer; speculation stays on under the constraint (it masks draft and target alike).
/// </summary>
[Collection(StoriesAgentCollection.Name)]
public sealed class ToolCallingAgentTests(StoriesAgentClient fixture)
{
    private const string Call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
    private const string Answer = "It is sunny in Paris.";

    [Fact]
    public async Task ToolCall_ForcedByGrammar_InvokedByAgent_ResultReachesNextTurn()
    {
        var (agent, recorder, cities) = CreateAgent();
        var session = await agent.CreateSessionAsync();

        var response = await agent.RunAsync("What is the weather in Paris?", session, ConstrainedOptions());

        Assert.Equal(["Paris"], cities);
        Assert.Equal(Answer, response.Text.Trim());
        Assert.Equal(2, recorder.Calls.Count);
        var result = Assert.Single(recorder.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.Equal("sunny, 21 C", result.Result?.ToString());
        Assert.Equal("get_weather", Assert.Single(recorder.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()).Name);

        // The agent's usage sums both model calls, speculation counters included.
        Assert.Equal(recorder.Calls.Sum(c => c.Usage!.OutputTokenCount), response.Usage!.OutputTokenCount);
        foreach (string key in new[] { SpeculativeChatOptionKeys.TargetCalls, SpeculativeChatOptionKeys.DraftedTokens, SpeculativeChatOptionKeys.AcceptedTokens })
        {
            Assert.Equal(recorder.Calls.Sum(c => Counters.Of(c.Usage, key)), Counters.Of(response.Usage, key));
        }

        Assert.True(Counters.Of(response.Usage, SpeculativeChatOptionKeys.AcceptedTokens) > 0, "speculation stays on under tools");

        // The session keeps the call and its result for the following user turn.
        await agent.RunAsync("And tomorrow?", session, new ChatClientAgentRunOptions(StoriesAgentClient.Greedy(8)));
        var third = recorder.Calls[2].Messages;
        Assert.Contains(third.SelectMany(m => m.Contents).OfType<FunctionResultContent>(), r => r.Result?.ToString() == "sunny, 21 C");
        Assert.Contains(third, m => m.Role == ChatRole.Assistant && m.Text.Trim() == Answer);
        Assert.Equal("And tomorrow?", third[^1].Text);
    }

    [Fact]
    public async Task ToolCall_Streaming_InvokedByAgent_AnswerStreamsAfterTheResult()
    {
        var (agent, recorder, cities) = CreateAgent();

        var updates = new List<AgentResponseUpdate>();
        await foreach (var update in agent.RunStreamingAsync("What is the weather in Paris?", await agent.CreateSessionAsync(), ConstrainedOptions()))
        {
            updates.Add(update);
        }

        Assert.Equal(["Paris"], cities);
        Assert.Equal(2, recorder.Calls.Count);
        var contents = updates.SelectMany(u => u.Contents).ToList();
        int callAt = contents.FindIndex(c => c is FunctionCallContent);
        int resultAt = contents.FindIndex(c => c is FunctionResultContent);
        Assert.InRange(callAt, 0, resultAt - 1);
        var response = updates.ToAgentResponse();
        Assert.EndsWith(Answer, response.Text.Trim());
        Assert.Equal(recorder.Calls.Sum(c => Counters.Of(c.Usage, SpeculativeChatOptionKeys.TargetCalls)), Counters.Of(response.Usage, SpeculativeChatOptionKeys.TargetCalls));
    }

    private (ChatClientAgent Agent, RecordingChatClient Recorder, List<string> Cities) CreateAgent()
    {
        var cities = new List<string>();
        var tool = AIFunctionFactory.Create(
            ([Description("City name")] string city) => { cities.Add(city); return "sunny, 21 C"; },
            "get_weather",
            "Current weather of a city");
        var recorder = new RecordingChatClient(fixture.Client);
        return (new ChatClientAgent(recorder, instructions: "Use the tools for the weather.", tools: [tool]), recorder, cities);
    }

    /// <summary>Greedy options whose grammar writes the call first, then the answer (the constraint keeps its place across calls).</summary>
    private ChatClientAgentRunOptions ConstrainedOptions()
    {
        var constraint = new ScriptedTextConstraint(fixture.Client.TokenTexts, new HashSet<int> { 2 }, Call, Answer);
        var options = StoriesAgentClient.Greedy(250);
        options.AdditionalProperties = new() { [SpeculativeChatOptionKeys.Constraint] = constraint };
        return new ChatClientAgentRunOptions(options);
    }
}
