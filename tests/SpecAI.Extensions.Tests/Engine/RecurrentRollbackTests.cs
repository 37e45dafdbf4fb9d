using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Engine;

/// <summary>
/// Rollback of rejected drafts on recurrent and hybrid models (fake sessions that refuse every removal their state
/// could not make): checkpoint and replay, native snapshots within their depth, both on target and draft.
/// </summary>
public class RecurrentRollbackTests
{
    public static TheoryData<SequenceRollback, SequenceRollback, int> Pairs => new()
    {
        // target, draft, snapshot depth
        { SequenceRollback.CheckpointReplay, SequenceRollback.Removal, 0 },
        { SequenceRollback.Removal, SequenceRollback.CheckpointReplay, 0 },
        { SequenceRollback.CheckpointReplay, SequenceRollback.CheckpointReplay, 0 },
        { SequenceRollback.Snapshots, SequenceRollback.Snapshots, 1 },
        { SequenceRollback.Snapshots, SequenceRollback.CheckpointReplay, 4 },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void ExactEnumeration_StandardDrafts_SequenceLawEqualsTarget(SequenceRollback target, SequenceRollback draft, int depth)
    {
        var kit = new EngineTestKit(4, targetRollback: target, draftRollback: draft, rollbackDepth: depth);
        var sampling = new SamplingOptions { Temperature = 1.0 };
        var settings = new GenerationSettings { Sampling = sampling, MaxTokens = 3, DraftLength = 3, Mode = SpeculationMode.DraftModel };

        var (expected, actual) = MultiDraftEngineExactnessTests.Laws(kit, [0, 1], settings);

        MultiDraftEngineExactnessTests.AssertSameLaw(expected, actual);
        AssertRollbackRan(kit.Target, target, depth, 3);
        AssertRollbackRan(kit.Draft, draft, depth, 3);
    }

    [Theory]
    [InlineData(VerifierKind.KSeq, SequenceRollback.CheckpointReplay, 0)]
    [InlineData(VerifierKind.RecursiveRejection, SequenceRollback.CheckpointReplay, 0)]
    [InlineData(VerifierKind.KSeq, SequenceRollback.Snapshots, 8)]
    public void ExactEnumeration_MultiDraftBranchesOnCopiedSequences_SequenceLawEqualsTarget(VerifierKind kind, SequenceRollback rollback, int depth)
    {
        var kit = new EngineTestKit(4, targetRollback: rollback, draftRollback: rollback, rollbackDepth: depth);
        var settings = new GenerationSettings
        {
            Sampling = new SamplingOptions { Temperature = 1.0 },
            MaxTokens = 3,
            DraftLength = 2,
            DraftCount = 2,
            Mode = SpeculationMode.MultiDraft,
            Verifier = kind,
            MeasureOptimalAcceptance = false,
        };

        var (expected, actual) = MultiDraftEngineExactnessTests.Laws(kit, [0, 1], settings);

        MultiDraftEngineExactnessTests.AssertSameLaw(expected, actual);

        // Copied branches are restored from the checkpoint, never trusted to carry snapshots of their own.
        Assert.True(kit.Target.CheckpointsRestored > 0, $"restored {kit.Target.CheckpointsRestored}");
    }

    [Theory]
    [InlineData(SequenceRollback.CheckpointReplay, 0)]
    [InlineData(SequenceRollback.Snapshots, 2)]
    public void Greedy_RecurrentPair_EqualsPlainDecoding_AndCountsTheRollbacks(SequenceRollback rollback, int depth)
    {
        var kit = new EngineTestKit(12, draftNoise: 1.0, targetRollback: rollback, draftRollback: rollback, rollbackDepth: depth);
        var plain = new SpeculativeEngine(new FakeModelSession("plain", 12, kit.TargetLogits));
        int[] prompt = [3, 1, 4, 1, 5];
        var greedy = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 60, Mode = SpeculationMode.None };
        var expected = plain.Generate(prompt, greedy, new SpeculationStatistics()).ToArray();
        var statistics = new SpeculationStatistics();

        var actual = kit.Generate(prompt, greedy with { Mode = SpeculationMode.DraftModel, DraftLength = 4 }, statistics);

        Assert.Equal(expected, actual);
        Assert.True(statistics.AcceptedTokens > 0 && statistics.AcceptedTokens < statistics.DraftedTokens, statistics.ToString());
        if (rollback == SequenceRollback.CheckpointReplay)
        {
            Assert.True(statistics.CheckpointRestores > 0 && statistics.ReplayedTokens >= statistics.CheckpointRestores, statistics.ToString());
            Assert.Equal(0, statistics.SnapshotRollbacks);
        }
        else
        {
            // Rejections within the snapshot depth are removed natively; deeper ones restore the checkpoint.
            Assert.True(statistics.SnapshotRollbacks > 0, statistics.ToString());
            Assert.True(statistics.CheckpointRestores > 0, statistics.ToString());
        }
    }

    [Fact]
    public void Snapshots_DeepEnoughForTheDraft_SaveNoCheckpoint()
    {
        var kit = new EngineTestKit(12, draftNoise: 1.0, targetRollback: SequenceRollback.Snapshots, draftRollback: SequenceRollback.Snapshots, rollbackDepth: 4);
        var statistics = new SpeculationStatistics();

        kit.Generate([3, 1, 4], new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 40, Mode = SpeculationMode.DraftModel, DraftLength = 4 }, statistics);

        Assert.Equal(0, kit.Target.CheckpointsSaved);
        Assert.Equal(0, kit.Draft.CheckpointsSaved);
        Assert.True(statistics.SnapshotRollbacks > 0, statistics.ToString());
    }

    [Fact]
    public void FollowUp_ExtendingTheCachedConversation_ReusesIt_AndAnEditedOne_IsPrefilledAgain()
    {
        var kit = new EngineTestKit(12, draftNoise: 1.0, targetRollback: SequenceRollback.CheckpointReplay, draftRollback: SequenceRollback.CheckpointReplay);
        var fresh = new SpeculativeEngine(new FakeModelSession("fresh", 12, kit.TargetLogits));
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 12, Mode = SpeculationMode.DraftModel, DraftLength = 3 };
        int[] prompt = [1, 2, 3, 4, 5, 6, 7, 8];
        var first = kit.Generate(prompt, settings);

        // Appending to the conversation: the cached state is exactly a prefix, so only the new tokens are decoded.
        int[] extended = [.. prompt, .. first, 9, 10];
        var extendedStatistics = new SpeculationStatistics();
        var second = kit.Generate(extended, settings, extendedStatistics);
        Assert.Equal(fresh.Generate(extended, settings with { Mode = SpeculationMode.None }, new SpeculationStatistics()).ToArray(), second);
        Assert.True(extendedStatistics.PrefillTokens <= 3, extendedStatistics.ToString());

        // Editing an earlier turn: the state holds tokens the new conversation lacks and cannot be cut back, so it is not reused.
        int[] edited = [.. prompt[..4], 11, 11, 11];
        var editedStatistics = new SpeculationStatistics();
        var third = kit.Generate(edited, settings, editedStatistics);
        Assert.Equal(fresh.Generate(edited, settings with { Mode = SpeculationMode.None }, new SpeculationStatistics()).ToArray(), third);
        Assert.Equal(edited.Length - 1, editedStatistics.PrefillTokens);
    }

    [Fact]
    public void AdaptivePolicy_CountsRollbackCostPerStep()
    {
        var policy = new AdaptiveDraftPolicy(warmupSteps: 0);
        policy.RecordTargetDecode(1, TimeSpan.FromMilliseconds(10));
        policy.RecordTargetDecode(4, TimeSpan.FromMilliseconds(12));
        policy.RecordDepth(1, 1, 0.9);
        policy.RecordDepth(2, 1, 0.9);
        policy.RecordDepth(3, 1, 0.9);
        double without = policy.TokensPerSecond(3, 1);
        Assert.True(policy.Choose(3, 1).Length > 0);

        // A replay that costs as much as two decodes per step makes speculation lose: it switches off.
        policy.RecordRollback(TimeSpan.FromMilliseconds(30));
        Assert.Equal(0.030, policy.RollbackCost(), 12);
        Assert.True(policy.TokensPerSecond(3, 1) < without);
        Assert.Equal(0, policy.Choose(3, 1).Length);
    }

    private static void AssertRollbackRan(FakeModelSession session, SequenceRollback rollback, int depth, int draftLength)
    {
        if (rollback == SequenceRollback.CheckpointReplay || (rollback == SequenceRollback.Snapshots && depth < draftLength))
        {
            Assert.True(session.CheckpointsSaved > 0 && session.CheckpointsRestored > 0, $"{session.ModelName}: saved {session.CheckpointsSaved}, restored {session.CheckpointsRestored}");
        }
        else
        {
            Assert.Equal(0, session.CheckpointsSaved);
        }
    }
}
