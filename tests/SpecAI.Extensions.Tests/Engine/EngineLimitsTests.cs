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
    public void RejectedDraftsThatCannotBeRemoved_FailTheStepClearly()
    {
        var logits = FakeLanguage.Create(8, 1);
        var target = new FakeModelSession("target", 8, logits);
        var draft = new FakeModelSession("rwkv", 8, FakeLanguage.Perturbed(logits, 5, 3.0), recurrent: true);
        var engine = new SpeculativeEngine(target, new ModelDraftSource(draft));
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 40, Mode = SpeculationMode.DraftModel, DraftLength = 4 };
        var ex = Assert.Throws<InvalidOperationException>(() => engine.Generate([1, 2], settings, new SpeculationStatistics()).ToArray());
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
}
