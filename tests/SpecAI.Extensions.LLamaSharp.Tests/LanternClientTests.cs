using System.Diagnostics;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests;

[Collection(StoriesCollection.Name)]
public class LanternClientTests(StoriesClients clients)
{
    [Fact]
    public async Task DeltaZero_ReproducesStandardTokenForToken_AndIsNotLossy()
    {
        var client = clients.ThreeLayers;
        for (int seed = 0; seed < 6; seed++)
        {
            var messages = StoriesClients.Prompt();
            int[] standard = await client.GenerateTokensAsync(messages, Options(seed, "standard", 0));
            int[] lantern = await client.GenerateTokensAsync(messages, Options(seed, "lantern", 0));
            Assert.Equal(standard, lantern);
        }

        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Options(1, "lantern", 0));
        Assert.Equal(0, response.Usage!.AdditionalCounts![SpeculativeChatOptionKeys.LossySteps]);
        Assert.False(response.AdditionalProperties?.ContainsKey(SpeculativeChatOptionKeys.Lossy) ?? false);
    }

    [Fact]
    public async Task PositiveDelta_IsLabelledLossy_InResponseAndTelemetry_AndAcceptsMore()
    {
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SpeculationTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        var client = clients.ThreeLayers;
        long standardAccepted = 0, lanternAccepted = 0, lossySteps = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var standard = await client.GetResponseAsync(StoriesClients.Prompt(), Options(seed, "standard", 0));
            var lantern = await client.GetResponseAsync(StoriesClients.Prompt(), Options(seed, "lantern", 0.4));
            standardAccepted += standard.Usage!.AdditionalCounts![SpeculativeChatOptionKeys.AcceptedTokens];
            lanternAccepted += lantern.Usage!.AdditionalCounts![SpeculativeChatOptionKeys.AcceptedTokens];
            lossySteps += lantern.Usage.AdditionalCounts[SpeculativeChatOptionKeys.LossySteps];
            Assert.Equal(true, lantern.AdditionalProperties?[SpeculativeChatOptionKeys.Lossy]);
        }

        Assert.True(lossySteps > 0);
        Assert.True(lanternAccepted > standardAccepted, $"LANTERN accepted {lanternAccepted} drafts, standard {standardAccepted}");
        lock (activities)
        {
            Assert.Contains(activities, a => Equals(a.GetTagItem("specai.verifier"), "Lantern") && Equals(a.GetTagItem("specai.lossless"), false));
        }
    }

    [Fact]
    public async Task MultiDraft_RelaxesUnderKSeq_AndDeltaZeroEqualsKSeq()
    {
        var client = clients.Q4;
        ChatOptions Multi(int seed, string verifier, double delta)
        {
            var options = Options(seed, verifier, delta);
            options.AdditionalProperties![SpeculativeChatOptionKeys.Mode] = "multi";
            options.AdditionalProperties[SpeculativeChatOptionKeys.DraftCount] = 2;
            return options;
        }

        for (int seed = 0; seed < 3; seed++)
        {
            var messages = StoriesClients.Prompt();
            Assert.Equal(await client.GenerateTokensAsync(messages, Multi(seed, "kseq", 0)), await client.GenerateTokensAsync(messages, Multi(seed, "lantern", 0)));
        }

        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Multi(4, "lantern", 0.3));
        Assert.Equal(true, response.AdditionalProperties?[SpeculativeChatOptionKeys.Lossy]);
        Assert.True(response.Usage!.OutputTokenCount > 0);
    }

    [Fact]
    public async Task BadDelta_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => clients.ThreeLayers.GetResponseAsync(StoriesClients.Prompt(), Options(1, "lantern", 1.5)));
        await Assert.ThrowsAsync<ArgumentException>(() => clients.ThreeLayers.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions
        {
            Temperature = 1,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Verifier] = "lantern", [SpeculativeChatOptionKeys.LanternK] = 0 },
        }));
    }

    [Fact]
    public void Options_DeltaOutOfRange_FailsValidation()
    {
        var options = new SpeculativeChatClientOptions { TargetModelPath = TestModels.Stories, LanternDelta = 1.5 };
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(nameof(SpeculativeChatClientOptions.LanternDelta), ex.Message);
        Assert.Equal(LanternDefaults.Delta, new SpeculativeChatClientOptions().LanternDelta);
        Assert.Equal(8, new SpeculativeChatClientOptions().LanternK);
    }

    private static ChatOptions Options(int seed, string verifier, double delta) => new()
    {
        Temperature = 1,
        Seed = seed,
        MaxOutputTokens = 40,
        AdditionalProperties = new()
        {
            [SpeculativeChatOptionKeys.Mode] = "draft",
            [SpeculativeChatOptionKeys.Verifier] = verifier,
            [SpeculativeChatOptionKeys.LanternDelta] = delta,
        },
    };

    private static class LanternDefaults
    {
        public const double Delta = Verification.LanternVerifier.DefaultDelta;
    }
}
