using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SpecAI.Extensions.AgentFramework.Tests.TestSupport;

namespace SpecAI.Extensions.AgentFramework.Tests;

/// <summary>The agent built from the <see cref="IChatClient"/> that <c>AddSpeculativeChatClient</c> registers.</summary>
public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task Agent_FromRegisteredChatClient_RunsOverTheSpeculativeClient()
    {
        var services = new ServiceCollection();
        services.AddSpeculativeChatClient(o =>
        {
            o.TargetModelPath = TestModels.Stories;
            o.DraftModelPath = TestModels.StoriesF16;
            o.ContextSize = 1024;
            o.Threads = 1;
            o.BatchSize = 128;
            o.Temperature = 0;
            o.MaxOutputTokens = 16;
        });
        services.AddSingleton<AIAgent>(sp => sp.GetRequiredService<IChatClient>().AsAIAgent(instructions: "You tell stories.", name: "storyteller", services: sp));
        await using var provider = services.BuildServiceProvider();

        var agent = provider.GetRequiredService<AIAgent>();
        var speculative = agent.GetService<SpeculativeChatClient>();
        Assert.NotNull(speculative);
        Assert.Same(provider.GetRequiredService<IChatClient>().GetService<SpeculativeChatClient>(), speculative);
        Assert.Equal("storyteller", agent.Name);

        var response = await agent.RunAsync("Once upon a time, there was a little girl named Lily.", await agent.CreateSessionAsync());

        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.Equal(16, response.Usage?.OutputTokenCount);
        Assert.Equal(speculative.Statistics.TargetCalls, Counters.Of(response.Usage, SpeculativeChatOptionKeys.TargetCalls));
        Assert.True(speculative.Statistics.AcceptedTokens > 0);
    }
}
