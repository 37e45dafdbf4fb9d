using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Drafting;

/// <summary>The draft model's shared batches when one request's catch-up rows overflow the draft's batch.</summary>
public class ModelDraftSourceBatchTests
{
    private const int Vocabulary = 8;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CatchUpThatOverflowsTheBatch_AfterAnEarlierDeepStep_DraftsEachTreeOnce(bool greedy)
    {
        // The second step batches request A's tip (logits wanted) ahead of request B's 20 catch-up rows, so the draft's
        // 8-row batch is flushed before the catch-up is complete, while the source still remembers the depth of the first
        // step. A tip drafted in that flush as if it were a node of the depth loop was drafted twice (and, when greedy,
        // its pooled q was gone by the second time).
        var draft = new FakeModelSession("draft", Vocabulary, FakeLanguage.Create(Vocabulary, 3), maxBatchSize: 8);
        var source = new ModelDraftSource(draft);
        var options = greedy ? SamplingOptions.Greedy : new SamplingOptions();
        var scheme = greedy ? DraftScheme.TopK : DraftScheme.Independent;

        int[] promptA = [1, 2, 3];
        var stepA = Step(source, promptA, options, scheme, draftLength: 4);
        source.DraftBatch([stepA]);
        Assert.Equal(4, stepA.Tree.DraftedCount);

        int[] promptB = [.. Enumerable.Range(0, 20).Select(i => (i * 5 + 1) % Vocabulary)];
        var stepA2 = Step(source, promptA, options, scheme, draftLength: 3, slot: stepA.Slot, tree: stepA.Tree);
        var stepB = Step(source, promptB, options, scheme, draftLength: 3);
        source.DraftBatch([stepA2, stepB]);

        Assert.Equal(3, stepA2.Tree.DraftedCount);
        Assert.Equal(3, stepA2.Tree.Depth);
        Assert.Equal(3, stepB.Tree.DraftedCount);
    }

    private static DraftStep Step(ModelDraftSource source, int[] prompt, SamplingOptions options, DraftScheme scheme, int draftLength, SequenceSlot? slot = null, DraftTree? tree = null)
    {
        tree ??= new DraftTree();
        tree.Reset(prompt[^1], 1, Vocabulary);
        slot ??= source.Memory.Acquire(prompt, prompt.Length - 1);
        var request = new DraftRequest(prompt, 0, scheme, new LogitProcessor(options), new SeededRandomSource(7), new SpeculationStatistics());
        return new DraftStep(request, tree, slot, draftLength);
    }
}
