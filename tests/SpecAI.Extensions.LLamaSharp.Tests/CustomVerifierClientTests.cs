using Microsoft.Extensions.AI;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Testing;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.LLamaSharp.Tests;

/// <summary>A verifier of the caller's own through the chat client's public surface: per request and per client.</summary>
[Collection(StoriesCollection.Name)]
public class CustomVerifierClientTests(StoriesClients clients)
{
    [Fact]
    public async Task PerRequestInstance_DecidesEveryToken_AndAnswersAsTheRuleItWraps()
    {
        var client = clients.ThreeLayers;
        var custom = new CountingVerifier(StandardVerifier.Instance);
        var standard = await client.GetResponseAsync(StoriesClients.Prompt(), Options(5, "standard"));
        var wrapped = await client.GetResponseAsync(StoriesClients.Prompt(), Options(5, custom));

        Assert.Equal(standard.Text, wrapped.Text);
        Assert.Equal(wrapped.Usage!.OutputTokenCount, custom.Calls);
        Assert.True(custom.Steps > 0);
    }

    [Fact]
    public async Task ClientWideInstance_IsUsed_AndARuleNamePerRequestReplacesIt()
    {
        var custom = new CountingVerifier(StandardVerifier.Instance);
        using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            DraftModelPath = TestModels.StoriesThreeLayers,
            ContextSize = 512,
            Threads = 1,
            BatchSize = 128,
            CustomVerifier = custom,
        });

        var response = await client.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = 1, Seed = 2, MaxOutputTokens = 16 });
        Assert.Equal(response.Usage!.OutputTokenCount, custom.Calls);

        int calls = custom.Calls;
        await client.GetResponseAsync(StoriesClients.Prompt(), Options(2, "kseq"));
        Assert.Equal(calls, custom.Calls);
    }

    private static ChatOptions Options(int seed, object verifier) => new()
    {
        Temperature = 1,
        Seed = seed,
        MaxOutputTokens = 24,
        AdditionalProperties = new()
        {
            [SpeculativeChatOptionKeys.Mode] = "draft",
            [SpeculativeChatOptionKeys.Verifier] = verifier,
        },
    };
}
