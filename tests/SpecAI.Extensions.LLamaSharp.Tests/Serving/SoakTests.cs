using System.Diagnostics;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Serving;

/// <summary>
/// Many requests on one client, sequential and concurrent, with random cancellation: memory must not grow.
/// CI runs 240 of each; set SPECAI_SOAK=1 for 1,000 of each (docs/soak.md has the figures).
/// </summary>
[Collection(SoakCollection.Name)]
public class SoakTests(ITestOutputHelper output)
{
    private static readonly string[] Openings =
    [
        "Once upon a time, there was a little girl named Lily.", "Tom had a big red ball.", "The sun was hot and the birds sang.",
        "Sue and her mom went to the park.", "A small dog found a bone.", "One day, Ben saw a big tree.",
    ];

    [Fact]
    public async Task ManyRequests_WithRandomCancellation_DoNotGrowMemory()
    {
        bool full = Environment.GetEnvironmentVariable("SPECAI_SOAK") == "1";
        int requests = full ? 1000 : 240;
        using var client = StoriesClients.Create(TestModels.StoriesQ4, contextSize: 1024);
        var random = new Random(11);
        int cancelled = 0, completed = 0;

        async Task One(int i, CancellationToken ct)
        {
            var options = new ChatOptions
            {
                Temperature = i % 3 == 0 ? 0 : 1,
                Seed = i,
                MaxOutputTokens = 8 + i % 40,
                AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = (i % 4) switch { 0 => "none", 1 => "draft", 2 => "multi", _ => "lookup" } },
            };
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (i % 5 == 0)
            {
                cancel.CancelAfter(TimeSpan.FromMilliseconds(1 + i % 7));
            }

            try
            {
                await foreach (var update in client.GetStreamingResponseAsync(StoriesClients.Prompt(Openings[i % Openings.Length]), options, cancel.Token))
                {
                    if (i % 11 == 0 && update.Text.Length > 0)
                    {
                        break; // a caller that stops reading early
                    }
                }

                Interlocked.Increment(ref completed);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
            }
        }

        async Task Phase(int offset, int degree)
        {
            await Parallel.ForAsync(0, requests, new ParallelOptions { MaxDegreeOfParallelism = degree }, async (i, ct) => await One(offset + i, ct));
        }

        // Warm-up: pools, JIT, llama.cpp's buffers.
        await Phase(10_000, 8);
        var (managedBefore, rssBefore) = Measure();
        var clock = Stopwatch.StartNew();
        await Phase(0, 1);
        await Phase(requests, 8);
        var (managedAfter, rssAfter) = Measure();
        output.WriteLine($"{2 * requests} requests in {clock.Elapsed.TotalSeconds:F1} s ({completed} completed, {cancelled} cancelled); managed {managedBefore / 1024} -> {managedAfter / 1024} KiB, RSS {rssBefore / 1024} -> {rssAfter / 1024} KiB; {client.Statistics}");
        Assert.True(cancelled > 0 && completed > 0);
        Assert.True(managedAfter < managedBefore * 1.05 + 512 * 1024, $"managed memory grew from {managedBefore} to {managedAfter} bytes");
        Assert.True(rssAfter < rssBefore * 1.05, $"RSS grew from {rssBefore} to {rssAfter} bytes");
        Assert.Equal(0, client.Scheduler.RunningCount);
    }

    private static (long Managed, long Rss) Measure()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }
}

/// <summary>The soak measures process memory: it runs alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    public const string Name = "soak";
}
