using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Sampling;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Serving;

/// <summary>One client serving many callers at once (stories260K, F32 target, so batched arithmetic cannot flip a greedy token).</summary>
public class ConcurrentClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private static readonly string[] Openings =
    [
        "Once upon a time, there was a little girl named Lily.", "Tom had a big red ball.", "The sun was hot and the birds sang.",
        "Sue and her mom went to the park.", "A small dog found a bone.", "One day, Ben saw a big tree.",
        "The cat was sad because it was raining.", "Mia liked to draw pictures.",
    ];

    [Theory]
    [InlineData("none")]
    [InlineData("draft")]
    [InlineData("multi")]
    public async Task EightConcurrentGreedyRequests_EachEqualsItsAnswerAlone(string mode)
    {
        using var client = StoriesClients.Create(TestModels.StoriesQ4);
        ChatOptions Options() => new() { Temperature = 0, MaxOutputTokens = 40, AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode, [SpeculativeChatOptionKeys.DraftCount] = 2 } };
        var alone = new List<string>();
        foreach (var opening in Openings)
        {
            alone.Add((await client.GetResponseAsync(StoriesClients.Prompt(opening), Options())).Text);
        }

        var together = await Task.WhenAll(Openings.Select(o => client.GetResponseAsync(StoriesClients.Prompt(o), Options()))).WaitAsync(Limit);
        Assert.Equal(alone, together.Select(r => r.Text));
    }

    [Fact]
    public async Task Temperature1_UnderConcurrency_FirstTokenLawMatchesTarget_ChiSquare()
    {
        using var client = StoriesClients.Create(TestModels.StoriesThreeLayers);
        var messages = StoriesClients.Prompt("Tom had a big red ball. One day,");
        int[] prompt = client.TokenizePrompt(messages, null);
        double[] p = ExactTargetLaw.NextToken(TestModels.Stories, prompt, new SamplingOptions { Temperature = 1 });
        const int samples = 12_000;
        var counts = new long[p.Length];
        await Parallel.ForAsync(0, samples, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var tokens = await client.GenerateTokensAsync(messages, new ChatOptions { Temperature = 1, Seed = 30_000 + i, MaxOutputTokens = 2 }, ct);
            Interlocked.Increment(ref counts[tokens[0]]);
        });

        var (statistic, df, pValue) = ChiSquare.Test(counts, p);
        output.WriteLine($"concurrent chi-square {statistic:F1}, df {df}, p {pValue:G3}; {client.Statistics}");
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} df, p = {pValue:G3}");
        Assert.True(client.Statistics.AcceptedTokens > 0 && client.Statistics.AcceptedTokens < client.Statistics.DraftedTokens);
    }

    [Fact]
    public async Task CallFromInsideAStream_DoesNotDeadlock()
    {
        using var client = StoriesClients.Create(TestModels.StoriesF16);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 30 };
        string expectedInner = (await client.GetResponseAsync(StoriesClients.Prompt("A small dog found a bone."), options)).Text;
        string? inner = null;
        var outer = new List<ChatResponseUpdate>();
        using var timeout = new CancellationTokenSource(Limit);
        await foreach (var update in client.GetStreamingResponseAsync(StoriesClients.Prompt(), options, timeout.Token))
        {
            outer.Add(update);
            if (inner is null && update.Text.Length > 0)
            {
                // A moderation middleware or a summarising tool calls the same client mid-stream.
                inner = (await client.GetResponseAsync(StoriesClients.Prompt("A small dog found a bone."), options, timeout.Token)).Text;
            }
        }

        Assert.Equal(expectedInner, inner);
        Assert.Equal(ChatFinishReason.Length, outer[^1].FinishReason);
    }

    [Fact]
    public async Task Dispose_DuringAStream_EndsIt_AndFailsLaterCalls()
    {
        var client = StoriesClients.Create(TestModels.StoriesF16);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 400 };
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            int updates = 0;
            await foreach (var update in client.GetStreamingResponseAsync(StoriesClients.Prompt(), options))
            {
                if (++updates == 3)
                {
                    client.Dispose();
                }
            }
        }).WaitAsync(Limit);
        Assert.True(error is OperationCanceledException or ObjectDisposedException, error.ToString());
        Assert.Throws<ObjectDisposedException>(() => client.GetStreamingResponseAsync(StoriesClients.Prompt(), options));
    }

    [Fact]
    public async Task AbandonedStream_DoesNotBlockLaterRequestsOrDispose()
    {
        var client = StoriesClients.Create(TestModels.StoriesF16);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 300 };
        var abandoned = client.GetStreamingResponseAsync(StoriesClients.Prompt(), options).GetAsyncEnumerator();
        Assert.True(await abandoned.MoveNextAsync());
        var later = await client.GetResponseAsync(StoriesClients.Prompt("Tom had a big red ball."), new ChatOptions { Temperature = 0, MaxOutputTokens = 20 }).WaitAsync(Limit);
        Assert.NotEmpty(later.Text);
        await Task.Run(client.Dispose).WaitAsync(Limit);
    }

    [Fact]
    public async Task FullQueue_FailsFastWithTypedException()
    {
        using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            ContextSize = 512,
            Threads = 1,
            MaxConcurrentRequests = 1,
            MaxQueuedRequests = 1,
        });
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 300 };
        var first = client.GetStreamingResponseAsync(StoriesClients.Prompt(), options).GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync());
        var second = client.GetResponseAsync(StoriesClients.Prompt("Tom had a big red ball."), options);
        var deadline = DateTime.UtcNow + Limit;
        while (client.Scheduler.QueuedCount == 0 && !second.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        await Assert.ThrowsAsync<RequestQueueFullException>(() => client.GetResponseAsync(StoriesClients.Prompt("Sue and her mom went to the park."), options));
        await first.DisposeAsync();
        Assert.NotEmpty((await second.WaitAsync(Limit)).Text);
    }

    [Fact]
    public void ConstructorAndCall_OnASingleThreadedSynchronizationContext_DoNotDeadlock()
    {
        // A WPF/WinForms/MAUI handler that creates the client and blocks on an answer.
        SingleThreadSynchronizationContext.Run(() =>
        {
            var progress = new Progress<float>();
            using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions
            {
                TargetModelPath = TestModels.Stories,
                DraftModelPath = TestModels.StoriesF16,
                ContextSize = 512,
                Threads = 1,
                LoadProgress = progress,
            });
            var answer = client.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = 0, MaxOutputTokens = 10 }).GetAwaiter().GetResult();
            Assert.NotEmpty(answer.Text);
        }, Limit);
    }

    [Fact]
    public async Task MaxOutputTokens_IntMaxValue_StopsAtTheContext()
    {
        using var client = StoriesClients.Create(TestModels.StoriesF16, contextSize: 256);
        var response = await client.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = 0, MaxOutputTokens = int.MaxValue }).WaitAsync(Limit);
        int prompt = client.TokenizePrompt(StoriesClients.Prompt(), null).Length;
        Assert.Equal(client.TargetSession.ContextSize - prompt, response.Usage!.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }
}
