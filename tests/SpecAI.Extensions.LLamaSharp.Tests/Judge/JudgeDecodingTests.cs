using Microsoft.Extensions.Configuration;
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

        using var client = Client(_headPath);
        long standardAccepted = 0, standardDrafted = 0, judgeAccepted = 0, judgeDrafted = 0, lossy = 0, judged = 0;
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
                    judged += counts[SpeculativeChatOptionKeys.JudgeAcceptedTokens];
                    Assert.Equal(true, response.AdditionalProperties?[SpeculativeChatOptionKeys.Lossy]);
                }
                else
                {
                    standardAccepted += counts[SpeculativeChatOptionKeys.AcceptedTokens];
                    standardDrafted += counts[SpeculativeChatOptionKeys.DraftedTokens];
                    Assert.Equal(0, counts[SpeculativeChatOptionKeys.LossySteps]);
                    Assert.Equal(0, counts[SpeculativeChatOptionKeys.JudgeAcceptedTokens]);
                    Assert.False(response.AdditionalProperties?.ContainsKey(SpeculativeChatOptionKeys.Lossy) ?? false);
                }
            }
        }

        double standardRate = (double)standardAccepted / standardDrafted, judgeRate = (double)judgeAccepted / judgeDrafted;
        output.WriteLine($"acceptance: standard {standardRate:F3}, judge {judgeRate:F3}; lossy steps {lossy}, judge-accepted tokens {judged}");
        Assert.True(judgeRate > standardRate, $"judge {judgeRate:F3} should accept more than standard {standardRate:F3}");
        Assert.True(lossy > 0 && judged > 0);
    }

    [Fact]
    public async Task ThresholdOne_ReproducesStandardTokenForToken_AndIsNotLossy()
    {
        new JudgeHead(new float[64], bias: 50f).Save(_headPath);
        using var client = Client(_headPath);
        for (int seed = 0; seed < 6; seed++)
        {
            var messages = StoriesClients.Prompt();
            int[] standard = await client.GenerateTokensAsync(messages, Options(seed, "draft"));
            int[] judged = await client.GenerateTokensAsync(messages, Options(seed, "judge", 1.0));
            Assert.Equal(standard, judged);
        }

        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Options(1, "judge", 1.0));
        Assert.Equal(0, response.Usage!.AdditionalCounts![SpeculativeChatOptionKeys.JudgeAcceptedTokens]);
        Assert.Equal(0, response.Usage.AdditionalCounts[SpeculativeChatOptionKeys.LossySteps]);
        Assert.False(response.AdditionalProperties?.ContainsKey(SpeculativeChatOptionKeys.Lossy) ?? false);
    }

    [Fact]
    public async Task JudgedResponse_IsMarkedLossy_InTheResponseAndTheFinalStreamingUpdate()
    {
        new JudgeHead(new float[64], bias: 50f).Save(_headPath);
        using var client = Client(_headPath);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(StoriesClients.Prompt(), Options(2, "judge", 0.5)))
        {
            updates.Add(update);
        }

        var final = updates[^1];
        Assert.NotNull(final.FinishReason);
        Assert.Equal(true, final.AdditionalProperties![SpeculativeChatOptionKeys.Lossy]);
        var usage = final.Contents.OfType<UsageContent>().Single().Details.AdditionalCounts!;
        Assert.True(usage[SpeculativeChatOptionKeys.JudgeAcceptedTokens] > 0);
        Assert.Equal(usage[SpeculativeChatOptionKeys.DraftedTokens], usage[SpeculativeChatOptionKeys.AcceptedTokens]);

        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Options(3, "judge", 0.5));
        Assert.Equal(true, response.AdditionalProperties![SpeculativeChatOptionKeys.Lossy]);
    }

    [Fact]
    public async Task MaxJudgedTokensPerStep_FromOptions_BoundsEachStep()
    {
        new JudgeHead(new float[64], bias: 50f).Save(_headPath);
        using var client = Client(_headPath, maxJudged: 1);
        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Options(4, "judge", 0.5, maxTokens: 60));
        var counts = response.Usage!.AdditionalCounts!;
        Assert.InRange(counts[SpeculativeChatOptionKeys.JudgeAcceptedTokens], 1, counts[SpeculativeChatOptionKeys.TargetCalls]);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    [InlineData("abc")]
    public async Task PerRequestThreshold_Invalid_Throws(object value)
    {
        new JudgeHead(new float[64], bias: 0f).Save(_headPath);
        using var client = Client(_headPath);
        var options = Options(0, "judge");
        options.AdditionalProperties![SpeculativeChatOptionKeys.JudgeThreshold] = value;
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.GetResponseAsync(StoriesClients.Prompt(), options));
    }

    [Fact]
    public void JudgeHead_WrongHiddenSize_ThrowsTypedError()
    {
        new JudgeHead(new float[7], 0f).Save(_headPath);
        var ex = Assert.Throws<InvalidDataException>(() => Client(_headPath));
        Assert.Contains("hidden dimensions", ex.Message);
    }

    [Fact]
    public void JudgeHead_ForAnotherModel_ThrowsMismatchNamingBothFingerprints()
    {
        new JudgeHead(new float[64], 0f, target: new JudgeTargetFingerprint("other-model", 64, 512, 1)).Save(_headPath);
        var ex = Assert.Throws<JudgeHeadMismatchException>(() => Client(_headPath));
        Assert.Contains("'other-model'", ex.Message);
        Assert.Contains("'llama'", ex.Message);
        Assert.Equal("llama", ex.Target.ModelName);
    }

    [Fact]
    public async Task JudgeHead_BoundToTheTarget_Loads()
    {
        using (var teacher = await JudgeTeacher.LoadAsync(TestModels.Stories, contextSize: 64))
        {
            // A constant head (no weights, large bias) scores every draft token ~1: the judge keeps every drafted token.
            new JudgeHead(new float[64], 20f, target: teacher.Fingerprint).Save(_headPath);
        }

        using var client = Client(_headPath);
        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Options(seed: 3, mode: "judge"));
        var counts = response.Usage!.AdditionalCounts!;
        Assert.True(counts[SpeculativeChatOptionKeys.DraftedTokens] > 0);
        Assert.True(counts[SpeculativeChatOptionKeys.JudgeAcceptedTokens] > 0, "the loaded head must take part in verification");
        Assert.Equal(true, response.AdditionalProperties?[SpeculativeChatOptionKeys.Lossy]);
    }

    [Fact]
    public void JudgeHead_V1_LoadsAndLogsThatItIsUnchecked()
    {
        using (var writer = new BinaryWriter(File.Create(_headPath)))
        {
            writer.Write("SPJH"u8);
            writer.Write(1);
            writer.Write(64);
            writer.Write(0.5);
            writer.Write(0f);
            for (int i = 0; i < 64; i++)
            {
                writer.Write(0.01f);
            }
        }

        var logs = new CapturingLoggerFactory();
        using var client = Client(_headPath, loggerFactory: logs);
        Assert.Contains(logs.Messages, m => m.Contains("no target fingerprint") && m.Contains("v1"));
    }

    [Fact]
    public void Options_JudgeSettings_BindAndValidate()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SpecAI:TargetModelPath"] = "t.gguf",
            ["SpecAI:JudgeThreshold"] = "0.3",
            ["SpecAI:MaxJudgedTokensPerStep"] = "2",
        }).Build();
        var options = configuration.GetSection("SpecAI").Get<SpeculativeChatClientOptions>()!;
        Assert.Equal(0.3, options.JudgeThreshold);
        Assert.Equal(2, options.MaxJudgedTokensPerStep);
        options.Validate();
        Assert.Contains("JudgeThreshold", Assert.Throws<ArgumentException>(() => new SpeculativeChatClientOptions { TargetModelPath = "t", JudgeThreshold = 1.5 }.Validate()).Message);
        Assert.Contains("MaxJudgedTokensPerStep", Assert.Throws<ArgumentException>(() => new SpeculativeChatClientOptions { TargetModelPath = "t", MaxJudgedTokensPerStep = 0 }.Validate()).Message);
        new SpeculativeChatClientOptions { TargetModelPath = "t", JudgeThreshold = 1.0 }.Validate();
    }

    private static SpeculativeChatClient Client(string head, int? maxJudged = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null) => new(new SpeculativeChatClientOptions
    {
        TargetModelPath = TestModels.Stories,
        DraftModelPath = TestModels.StoriesThreeLayers,
        JudgeHeadPath = head,
        MaxJudgedTokensPerStep = maxJudged,
        ContextSize = 512,
        Threads = 1,
        BatchSize = 128,
    }, loggerFactory);

    private static ChatOptions Options(int seed, string mode, double? threshold = null, int maxTokens = 40)
    {
        var options = new ChatOptions
        {
            Temperature = 1,
            Seed = seed,
            MaxOutputTokens = maxTokens,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode },
        };
        if (threshold is { } t)
        {
            options.AdditionalProperties[SpeculativeChatOptionKeys.JudgeThreshold] = t;
        }

        return options;
    }

    /// <summary>Self-labelled examples from draft text (target probability >= 0.1 = acceptable), then training.</summary>
    private static async Task<JudgeHead> TrainOnDraftTextAsync()
    {
        string[] prompts = ["Lily went to the park.", "Tom had a dog.", "The sun was hot.", "Once upon a time, a cat", "Sam and Mia played", "A bird sat on a tree."];
        var examples = await JudgeDataCollector.CollectAsync(TestModels.Stories, TestModels.StoriesThreeLayers, prompts, tokensPerPrompt: 60);
        Assert.Equal(360, examples.Count);
        Assert.Contains(examples, e => e.Acceptable);
        Assert.Contains(examples, e => !e.Acceptable);
        return JudgeTrainer.Train(examples, new JudgeTrainingOptions { HeldOutFraction = 0, Threshold = 0.5 }).Head;
    }
}
