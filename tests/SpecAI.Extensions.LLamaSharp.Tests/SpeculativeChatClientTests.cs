using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests;

[Collection(StoriesCollection.Name)]
public class SpeculativeChatClientTests(StoriesClients clients)
{
    private static ChatOptions Greedy(int max = 48, string mode = "draft") => new()
    {
        Temperature = 0,
        MaxOutputTokens = max,
        AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode },
    };

    [Theory]
    [InlineData("f16")]
    [InlineData("q4")]
    [InlineData("3L")]
    public async Task Greedy_SpeculativeEqualsModeNone_TokenForToken(string draft)
    {
        var client = draft switch { "f16" => clients.F16, "q4" => clients.Q4, _ => clients.ThreeLayers };
        var plain = await client.GenerateTokensAsync(StoriesClients.Prompt(), Greedy(mode: "none"));
        var before = client.Statistics.AcceptedTokens;
        var speculative = await client.GenerateTokensAsync(StoriesClients.Prompt(), Greedy());
        Assert.Equal(plain, speculative);
        Assert.True(client.Statistics.AcceptedTokens > before, "some drafts should be accepted");

        var text = await client.GetResponseAsync(StoriesClients.Prompt(), Greedy());
        var plainText = await client.GetResponseAsync(StoriesClients.Prompt(), Greedy(mode: "none"));
        Assert.Equal(plainText.Text, text.Text);
        Assert.False(string.IsNullOrWhiteSpace(text.Text));
    }

    [Fact]
    public async Task Response_CarriesUsageFinishReasonAndIds()
    {
        var response = await clients.Q4.GetResponseAsync(StoriesClients.Prompt(), Greedy(max: 12));
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(12, response.Usage!.OutputTokenCount);
        Assert.True(response.Usage.InputTokenCount > 5);
        var counts = response.Usage.AdditionalCounts!;
        Assert.True(counts[SpeculativeChatOptionKeys.TargetCalls] is > 0 and < 12);
        Assert.True(counts[SpeculativeChatOptionKeys.AcceptedTokens] <= counts[SpeculativeChatOptionKeys.DraftedTokens]);
        Assert.Equal(0, counts[SpeculativeChatOptionKeys.LossySteps]);
        Assert.Equal("stories260K", response.ModelId);
        Assert.NotNull(response.ResponseId);
        Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, response.Messages[0].Role);
    }

    [Fact]
    public async Task StopSequence_EndsBeforeTheStopText()
    {
        var full = (await clients.F16.GetResponseAsync(StoriesClients.Prompt(), Greedy(max: 60))).Text;
        string stop = full.Substring(full.Length / 2, 4);
        int at = full.IndexOf(stop, StringComparison.Ordinal);
        var options = Greedy(max: 60);
        options.StopSequences = [stop];
        var stopped = await clients.F16.GetResponseAsync(StoriesClients.Prompt(), options);
        Assert.Equal(full[..at], stopped.Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
    }

    [Fact]
    public async Task Streaming_ConcatenationEqualsNonStreaming_SameSeed()
    {
        var options = new ChatOptions { Temperature = 1, Seed = 7, MaxOutputTokens = 40 };
        var whole = await clients.Q4.GetResponseAsync(StoriesClients.Prompt(), options);
        var parts = new List<string>();
        ChatResponseUpdate? last = null;
        long previous = 0;
        await foreach (var update in clients.Q4.GetStreamingResponseAsync(StoriesClients.Prompt(), options))
        {
            parts.Add(update.Text);
            if (update.Text.Length > 0)
            {
                // Running counters on every text update.
                long generated = (long)update.AdditionalProperties![SpeculativeChatOptionKeys.GeneratedTokens]!;
                Assert.True(generated >= previous && generated <= 40);
                Assert.True((long)update.AdditionalProperties[SpeculativeChatOptionKeys.AcceptedTokens]! <= (long)update.AdditionalProperties[SpeculativeChatOptionKeys.DraftedTokens]!);
                previous = generated;
            }

            Assert.Equal(whole.ModelId, update.ModelId);
            Assert.NotNull(update.MessageId);
            last = update;
        }

        Assert.Equal(whole.Text, string.Concat(parts));
        Assert.True(parts.Count > 3, "text should arrive in several updates");
        Assert.NotNull(last!.FinishReason);
        Assert.Contains(last.Contents, c => c is UsageContent);
    }

    [Fact]
    public async Task Cancellation_MidStream_ThrowsAndClientStillWorks()
    {
        var options = new ChatOptions { Temperature = 1, Seed = 3, MaxOutputTokens = 200 };
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in clients.ThreeLayers.GetStreamingResponseAsync(StoriesClients.Prompt(), options, cts.Token))
            {
                cts.Cancel();
            }
        });

        var short1 = await clients.ThreeLayers.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = 1, Seed = 5, MaxOutputTokens = 30 });
        using var fresh = StoriesClients.Create(TestModels.StoriesThreeLayers);
        var short2 = await fresh.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = 1, Seed = 5, MaxOutputTokens = 30 });
        Assert.Equal(short2.Text, short1.Text);
    }

    [Fact]
    public async Task FollowUpTurn_ReusesCachedPrefix()
    {
        var messages = StoriesClients.Prompt();
        var first = await clients.F16.GetResponseAsync(messages, Greedy(max: 20));
        messages.AddRange(first.Messages);
        messages.Add(new ChatMessage(ChatRole.User, "And then?"));
        long prefilledBefore = clients.F16.Statistics.PrefillTokens;
        await clients.F16.GetResponseAsync(messages, Greedy(max: 5));
        long prefilled = clients.F16.Statistics.PrefillTokens - prefilledBefore;
        int promptTokens = clients.F16.TokenizePrompt(messages, null).Length;

        // Only the new turn is decoded: the first turn's prompt and answer stay in the KV cache.
        Assert.InRange(prefilled, 1, promptTokens / 2);
    }

    [Fact]
    public void IncompatibleVocabulary_WithExactMapping_ThrowsTypedErrorNamingBothModels()
    {
        var ex = Assert.Throws<IncompatibleDraftModelException>(() => new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            DraftModelPath = TestModels.LlamaTinyRandom,
            VocabularyMapping = VocabularyMapping.Exact,
            ContextSize = 256,
        }));
        Assert.Contains("stories260K", ex.Message);
        Assert.Contains("llama-2-tiny-random", ex.Message);
        Assert.Contains("vocabulary sizes differ (512 vs 32000)", ex.Message);
    }

    [Fact]
    public void BadOptions_ThrowClearErrors()
    {
        Assert.Throws<ArgumentException>(() => new SpeculativeChatClient(new SpeculativeChatClientOptions()));
        Assert.Throws<FileNotFoundException>(() => new SpeculativeChatClient(new SpeculativeChatClientOptions { TargetModelPath = "missing.gguf" }));
        var ex = Assert.Throws<ArgumentException>(() => new SpeculativeChatClient(new SpeculativeChatClientOptions { TargetModelPath = TestModels.Stories, Mode = SpeculationMode.DraftModel }));
        Assert.Contains("DraftModelPath", ex.Message);
    }

    [Fact]
    public async Task BadRequestOptions_ThrowArgumentException()
    {
        var options = new ChatOptions { AdditionalProperties = new() { [SpeculativeChatOptionKeys.Verifier] = "nonsense" } };
        await Assert.ThrowsAsync<ArgumentException>(() => clients.F16.GetResponseAsync(StoriesClients.Prompt(), options));
        await Assert.ThrowsAsync<ArgumentException>(() => clients.F16.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = -1 }));
    }

    [Fact]
    public void GetService_ReturnsClientOptionsStatisticsAndMetadata()
    {
        IChatClient client = clients.F16;
        Assert.Same(client, client.GetService<SpeculativeChatClient>());
        Assert.Same(client, client.GetService<IChatClient>());
        Assert.Equal("stories260K", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Equal(TestModels.Stories, client.GetService<SpeculativeChatClientOptions>()!.TargetModelPath);
        Assert.Same(clients.F16.Statistics, client.GetService<SpeculationStatistics>());
        Assert.Null(client.GetService(typeof(SpeculativeChatClient), "key"));
    }
}
