using Microsoft.Extensions.AI;
using SpecAI.Extensions.Judge;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Judge;

public sealed class JudgeDecodingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _headPath = Path.Combine(Path.GetTempPath(), $"specai-judge-{Guid.NewGuid():N}.bin");

    public void Dispose() => File.Delete(_headPath);

    [Fact]
    public async Task TrainedJudge_OnStories_AcceptsMoreThanStandard_AndIsReportedLossy()
    {
        var head = await TrainOnDraftTextAsync();
        head.Save(_headPath);

        using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            DraftModelPath = TestModels.StoriesThreeLayers,
            JudgeHeadPath = _headPath,
            ContextSize = 512,
            Threads = 1,
            BatchSize = 128,
        });

        long standardAccepted = 0, standardDrafted = 0, judgeAccepted = 0, judgeDrafted = 0, lossy = 0;
        for (int seed = 0; seed < 12; seed++)
        {
            foreach (string mode in new[] { "draft", "judge" })
            {
                var response = await client.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions
                {
                    Temperature = 1,
                    Seed = seed,
                    MaxOutputTokens = 40,
                    AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode },
                });
                var counts = response.Usage!.AdditionalCounts!;
                if (mode == "judge")
                {
                    judgeAccepted += counts[SpeculativeChatOptionKeys.AcceptedTokens];
                    judgeDrafted += counts[SpeculativeChatOptionKeys.DraftedTokens];
                    lossy += counts[SpeculativeChatOptionKeys.LossySteps];
                }
                else
                {
                    standardAccepted += counts[SpeculativeChatOptionKeys.AcceptedTokens];
                    standardDrafted += counts[SpeculativeChatOptionKeys.DraftedTokens];
                    Assert.Equal(0, counts[SpeculativeChatOptionKeys.LossySteps]);
                }
            }
        }

        double standardRate = (double)standardAccepted / standardDrafted, judgeRate = (double)judgeAccepted / judgeDrafted;
        output.WriteLine($"acceptance: standard {standardRate:F3}, judge {judgeRate:F3}; lossy steps {lossy}");
        Assert.True(judgeRate > standardRate, $"judge {judgeRate:F3} should accept more than standard {standardRate:F3}");
        Assert.True(lossy > 0);
    }

    [Fact]
    public void JudgeHead_WrongHiddenSize_ThrowsTypedError()
    {
        new JudgeHead(new float[7], 0f).Save(_headPath);
        var ex = Assert.Throws<InvalidDataException>(() => new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            DraftModelPath = TestModels.StoriesThreeLayers,
            JudgeHeadPath = _headPath,
            ContextSize = 256,
        }));
        Assert.Contains("hidden dimensions", ex.Message);
    }

    /// <summary>Self-labelled examples from draft text (target probability >= 0.1 = acceptable), then training.</summary>
    private static async Task<JudgeHead> TrainOnDraftTextAsync()
    {
        string[] prompts = ["Lily went to the park.", "Tom had a dog.", "The sun was hot.", "Once upon a time, a cat", "Sam and Mia played", "A bird sat on a tree."];
        var examples = await JudgeDataCollector.CollectAsync(TestModels.Stories, TestModels.StoriesThreeLayers, prompts, tokensPerPrompt: 60);
        Assert.Equal(360, examples.Count);
        Assert.Contains(examples, e => e.Acceptable);
        Assert.Contains(examples, e => !e.Acceptable);
        return JudgeTrainer.Train(examples);
    }
}
