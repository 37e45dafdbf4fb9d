using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Engine;

public class EngineLimitsTests
{
    [Fact]
    public void MaxTokens_IntMaxValue_StopsAtTheContext()
    {
        var kit = new EngineTestKit(8, contextSize: 64);
        var tokens = kit.Generate([1, 2, 3], new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = int.MaxValue, Mode = SpeculationMode.DraftModel });
        Assert.Equal(64 - 3, tokens.Length);
    }

    [Fact]
    public void RecurrentTarget_RefusesSpeculation_ButDecodesPlainly()
    {
        var logits = FakeLanguage.Create(8, 1);
        var target = new FakeModelSession("mamba", 8, logits, recurrent: true);
        var draft = new FakeModelSession("draft", 8, logits);
        var engine = new SpeculativeEngine(target, new ModelDraftSource(draft));
        var ex = Assert.Throws<NotSupportedException>(() => engine.Generate([1, 2], new GenerationSettings { Mode = SpeculationMode.DraftModel }, new SpeculationStatistics()));
        Assert.Contains("mamba", ex.Message);

        var plain = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 6, Mode = SpeculationMode.None };
        var first = engine.Generate([1, 2], plain, new SpeculationStatistics()).ToArray();

        // A follow-up that shares only part of the cached conversation cannot cut the recurrent state back:
        // the conversation is decoded again from scratch, and the answer is still the plain one.
        var statistics = new SpeculationStatistics();
        var second = engine.Generate([1, 2, first[0], 5, 6], plain, statistics).ToArray();
        var reference = new SpeculativeEngine(new FakeModelSession("t", 8, logits)).Generate([1, 2, first[0], 5, 6], plain, new SpeculationStatistics()).ToArray();
        Assert.Equal(reference, second);
        Assert.Equal(4, statistics.PrefillTokens);
    }

    [Fact]
    public void DraftThatCanNeitherRemoveNorCheckpoint_IsRefusedUpFrontNamingIt()
    {
        var logits = FakeLanguage.Create(8, 1);
        var target = new FakeModelSession("target", 8, logits);
        var draft = new FakeModelSession("rwkv", 8, FakeLanguage.Perturbed(logits, 5, 3.0), recurrent: true);
        var engine = new SpeculativeEngine(target, new ModelDraftSource(draft));
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 40, Mode = SpeculationMode.DraftModel, DraftLength = 4 };
        var ex = Assert.Throws<NotSupportedException>(() => engine.Generate([1, 2], settings, new SpeculationStatistics()).ToArray());
        Assert.Contains("rwkv", ex.Message);
    }

    [Fact]
    public void PromptTokenOutsideTheVocabulary_IsAnArgumentError()
    {
        var kit = new EngineTestKit(8);
        var ex = Assert.Throws<ArgumentException>(() => kit.Engine.Generate([1, 8], new GenerationSettings(), new SpeculationStatistics()));
        Assert.Equal("prompt", ex.ParamName);
    }

    [Fact]
    public async Task ConversationsSharingASystemPrompt_CopyItInsteadOfDecodingIt()
    {
        var kit = new EngineTestKit(12);
        var scheduler = new GenerationScheduler();
        scheduler.Attach(kit.Engine);
        int[] system = Enumerable.Range(0, 40).Select(i => i % 11).ToArray();
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 5, Mode = SpeculationMode.None };
        var first = new SpeculationStatistics();
        var second = new SpeculationStatistics();
        using (scheduler)
        {
            // The first conversation stays running (paused behind its unread tokens) while the second starts.
            var a = scheduler.GenerateAsync([.. system, 1, 2], settings with { MaxTokens = 400 }, first).GetAsyncEnumerator();
            Assert.True(await a.MoveNextAsync());
            var b = scheduler.GenerateAsync([.. system, 3, 4, 5], settings, second).ToBlockingEnumerable().ToArray();
            Assert.Equal(1, scheduler.RunningCount);
            Assert.Equal(5, b.Length);
            await a.DisposeAsync();
        }

        Assert.Equal(41, first.PrefillTokens);
        Assert.Equal(2, second.PrefillTokens);
    }

    [Fact]
    public async Task LongPrompt_IsPrefilledInChunks_WhileAnotherAnswerKeepsStreaming()
    {
        // The first answer's third decode waits until the long prompt is queued, so that answer is still streaming
        // when the prompt is prefilled, however slowly the test thread is scheduled.
        GenerationScheduler? scheduler = null;
        int decodes = 0;
        void HoldUntilQueued(DecodeBatch batch)
        {
            if (++decodes == 3)
            {
                Assert.True(SpinWait.SpinUntil(() => scheduler!.QueuedCount > 0 || scheduler.RunningCount > 1, TimeSpan.FromSeconds(60)), "the long prompt never arrived");
            }
        }

        var kit = new EngineTestKit(12, contextSize: 1024, maxBatchSize: 64, onTargetDecode: HoldUntilQueued);
        kit.Engine.PrefillChunkSize = 8;
        using var owned = scheduler = new GenerationScheduler(new GenerationSchedulerOptions { MaxUnreadTokens = 1 << 20 });
        scheduler.Attach(kit.Engine);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 400, Mode = SpeculationMode.None };
        var running = scheduler.GenerateAsync([1, 2], settings, new SpeculationStatistics()).GetAsyncEnumerator();
        Assert.True(await running.MoveNextAsync());
        int[] longPrompt = Enumerable.Range(0, 200).Select(i => i % 12).ToArray();
        var longRequest = scheduler.GenerateAsync(longPrompt, settings with { MaxTokens = 3 }, new SpeculationStatistics()).ToBlockingEnumerable().ToArray();
        Assert.Equal(3, longRequest.Length);

        // The 199 prompt tokens went in chunks of at most 8 beside the running answer's row: no batch held more.
        // The running answer is stopped first: the batch sizes are read only once the scheduler thread has let go.
        await running.DisposeAsync();
        Assert.True(SpinWait.SpinUntil(() => scheduler.RunningCount == 0, TimeSpan.FromSeconds(60)), "the first answer never stopped");
        int[] batchSizes = [.. kit.Target.BatchSizes];
        Assert.True(batchSizes.Max() <= 8 + 1, string.Join(",", batchSizes));
    }

    [Fact]
    public void InterleavedConversations_EachReuseTheirOwnCachedPrefix()
    {
        var kit = new EngineTestKit(12);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 6, Mode = SpeculationMode.DraftModel };
        int[] a1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        int[] b1 = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
        var answerA = kit.Generate(a1, settings);
        var answerB = kit.Generate(b1, settings);
        var statistics = new SpeculationStatistics();
        kit.Generate([.. a1, .. answerA, 4, 4], settings, statistics);
        Assert.InRange(statistics.PrefillTokens, 1, 3);
        statistics = new SpeculationStatistics();
        kit.Generate([.. b1, .. answerB, 5, 5], settings, statistics);
        Assert.InRange(statistics.PrefillTokens, 1, 3);
    }
}
