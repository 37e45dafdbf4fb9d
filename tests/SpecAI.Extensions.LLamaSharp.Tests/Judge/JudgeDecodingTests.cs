using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Judge;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Sampling;
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

    /// <summary>
    /// Labels tokens sampled from the draft: acceptable when the target gives them at least 10% probability
    /// (a self-labelled proxy for human labels), features = the target's hidden state at the token.
    /// </summary>
    private static async Task<JudgeHead> TrainOnDraftTextAsync()
    {
        using var drafter = StoriesClients.Create(TestModels.StoriesThreeLayers);
        using var target = await LLamaModelSession.LoadAsync(TestModels.Stories, new ModelParams(TestModels.Stories)
        {
            ContextSize = 512, BatchSize = 512, SeqMax = 1, Threads = 1, Embeddings = true, PoolingType = LLamaPoolingType.None,
        });
        var examples = new List<(float[], bool)>();
        var p = new double[target.VocabularySize];
        var processor = new LogitProcessor(new SamplingOptions());
        string[] prompts = ["Lily went to the park.", "Tom had a dog.", "The sun was hot.", "Once upon a time, a cat", "Sam and Mia played", "A bird sat on a tree."];
        for (int i = 0; i < prompts.Length; i++)
        {
            // Draft-model text: the 3-layer model as the target of a plain client.
            var messages = StoriesClients.Prompt(prompts[i]);
            int[] prompt = drafter.TokenizePrompt(messages, null);
            int[] text = await drafter.GenerateTokensAsync(messages, new ChatOptions { Temperature = 1, Seed = i, MaxOutputTokens = 60, AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = "none" } });
            int[] all = [.. prompt, .. text];
            target.RemoveTokens(0, 0);
            var batch = new DecodeBatch();
            for (int t = 0; t < all.Length; t++)
            {
                batch.Add(all[t], t, 0, wantLogits: true);
            }

            target.Decode(batch);
            for (int t = prompt.Length; t < all.Length; t++)
            {
                processor.Process(target.GetLogits(t - 1), all.AsSpan(0, t), 0, p);
                examples.Add((target.GetHiddenState(t).ToArray(), p[all[t]] >= 0.1));
            }
        }

        return JudgeTrainer.Train(examples);
    }
}
