using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.AgentFramework.Tests.TestSupport;

namespace SpecAI.Extensions.AgentFramework.Tests;

/// <summary>A <see cref="ChatClientAgent"/> over the speculative client: runs, streams, and keeps a session.</summary>
[Collection(StoriesAgentCollection.Name)]
public sealed class ChatClientAgentTests(StoriesAgentClient fixture)
{
    private const string Instructions = "You tell short stories for children.";
    private const string Prompt = "Once upon a time, there was a little girl named Lily.";

    [Fact]
    public async Task RunAsync_OverSpeculativeClient_AnswersAsTheClientDoes()
    {
        var recorder = new RecordingChatClient(fixture.Client);
        var agent = new ChatClientAgent(recorder, instructions: Instructions, name: "storyteller");
        var session = await agent.CreateSessionAsync();

        var response = await agent.RunAsync(Prompt, session, new ChatClientAgentRunOptions(StoriesAgentClient.Greedy()));

        var call = Assert.Single(recorder.Calls);
        Assert.Contains(Instructions, InstructionsOf(call));
        Assert.Equal(Prompt, call.Messages.Last().Text);
        Assert.False(string.IsNullOrWhiteSpace(response.Text));

        // The agent adds nothing to the answer: the same request straight to the client gives the same greedy text.
        var direct = await fixture.Client.GetResponseAsync(call.Messages, call.Options);
        Assert.Equal(direct.Text, response.Text);
    }

    [Fact]
    public async Task RunAsync_Usage_CarriesSpeculationCounters()
    {
        var agent = new ChatClientAgent(fixture.Client, instructions: Instructions);
        var statistics = fixture.Client.Statistics;
        long callsBefore = statistics.TargetCalls, draftedBefore = statistics.DraftedTokens, acceptedBefore = statistics.AcceptedTokens;

        var response = await agent.RunAsync(Prompt, options: new ChatClientAgentRunOptions(StoriesAgentClient.Greedy(32)));

        long targetCalls = Counters.Of(response.Usage, SpeculativeChatOptionKeys.TargetCalls);
        long drafted = Counters.Of(response.Usage, SpeculativeChatOptionKeys.DraftedTokens);
        long accepted = Counters.Of(response.Usage, SpeculativeChatOptionKeys.AcceptedTokens);
        Assert.Equal(statistics.TargetCalls - callsBefore, targetCalls);
        Assert.Equal(statistics.DraftedTokens - draftedBefore, drafted);
        Assert.Equal(statistics.AcceptedTokens - acceptedBefore, accepted);
        Assert.Equal(0, Counters.Of(response.Usage, SpeculativeChatOptionKeys.LossySteps));

        // The F16 draft agrees with the target almost always: fewer target calls than tokens.
        Assert.InRange(accepted, 1, drafted);
        Assert.True(targetCalls < response.Usage!.OutputTokenCount, $"{targetCalls} target calls for {response.Usage.OutputTokenCount} tokens");
    }

    [Fact]
    public async Task RunStreamingAsync_LiveCounters_RiseAndTextMatchesRunAsync()
    {
        var agent = new ChatClientAgent(fixture.Client, instructions: Instructions);
        var options = new ChatClientAgentRunOptions(StoriesAgentClient.Greedy(32));
        var whole = await agent.RunAsync(Prompt, options: options);

        var updates = new List<AgentResponseUpdate>();
        await foreach (var update in agent.RunStreamingAsync(Prompt, await agent.CreateSessionAsync(), options))
        {
            updates.Add(update);
        }

        var generated = updates.Select(u => Counters.Of(u, SpeculativeChatOptionKeys.GeneratedTokens)).OfType<long>().ToList();
        var targetCalls = updates.Select(u => Counters.Of(u, SpeculativeChatOptionKeys.TargetCalls)).OfType<long>().ToList();
        Assert.True(generated.Count > 1, $"{generated.Count} updates carried live counters");
        Assert.Equal(generated.Order(), generated);
        Assert.Equal(targetCalls.Order(), targetCalls);
        Assert.True(generated[^1] > targetCalls[^1], $"live: {generated[^1]} tokens after {targetCalls[^1]} target calls");

        var streamed = updates.ToAgentResponse();
        Assert.Equal(whole.Text, streamed.Text);
        Assert.Equal(Counters.Of(whole.Usage, SpeculativeChatOptionKeys.AcceptedTokens), Counters.Of(streamed.Usage, SpeculativeChatOptionKeys.AcceptedTokens));
        Assert.True(Counters.Of(streamed.Usage, SpeculativeChatOptionKeys.TargetCalls) >= targetCalls[^1]);
    }

    [Fact]
    public async Task Session_CarriesEarlierTurnsIntoTheNextPrompt()
    {
        var recorder = new RecordingChatClient(fixture.Client);
        var agent = new ChatClientAgent(recorder, instructions: Instructions);
        var options = new ChatClientAgentRunOptions(StoriesAgentClient.Greedy(16));
        var session = await agent.CreateSessionAsync();

        var first = await agent.RunAsync("Lily found a red ball in the park.", session, options);
        await agent.RunAsync("What did she do with the ball?", session, options);
        await agent.RunAsync("What did she do with the ball?", await agent.CreateSessionAsync(), options);

        Assert.Equal(3, recorder.Calls.Count);
        var second = Conversation(recorder.Calls[1]);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User], second.Select(m => m.Role));
        Assert.Equal("Lily found a red ball in the park.", second[0].Text);
        Assert.Equal(first.Text, second[1].Text);
        Assert.Equal("What did she do with the ball?", second[2].Text);
        Assert.Contains(Instructions, InstructionsOf(recorder.Calls[1]));

        // A new session starts empty.
        Assert.Equal("What did she do with the ball?", Assert.Single(Conversation(recorder.Calls[2])).Text);
    }

    /// <summary>The non-system messages of a model call.</summary>
    private static List<ChatMessage> Conversation(RecordingChatClient.Call call) => call.Messages.Where(m => m.Role != ChatRole.System).ToList();

    /// <summary>The instructions a model call got, as ChatOptions.Instructions or as system messages.</summary>
    private static string InstructionsOf(RecordingChatClient.Call call) =>
        string.Join("\n", new[] { call.Options?.Instructions ?? string.Empty }.Concat(call.Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text)));
}
