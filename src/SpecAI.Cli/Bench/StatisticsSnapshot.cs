using SpecAI.Extensions;

namespace SpecAI.Cli.Bench;

/// <summary>The counters of a client's statistics at one moment; differences give a row's own counts.</summary>
internal sealed record StatisticsSnapshot(
    long TargetCalls, long Drafted, long Accepted, long DraftCalls, double DraftMs, long SingleCalls, double SingleMs,
    double TargetMs, double VerifyMs, long SpeculationOff, IReadOnlyDictionary<int, long> BatchCalls, double DraftManagedMs, long Committed,
    long SnapshotRollbacks = 0, long CheckpointRestores = 0, long ReplayedTokens = 0, double RollbackMs = 0)
{
    public static StatisticsSnapshot Of(SpeculationStatistics st)
    {
        var cost = st.TargetBatchCost();
        var one = cost.TryGetValue(1, out var v) ? v : (0, 0.0);
        return new(
            st.TargetCalls, st.DraftedTokens, st.AcceptedTokens, st.DraftCalls, st.DraftTime.TotalMilliseconds, one.Item1, one.Item1 * one.Item2,
            st.TargetTime.TotalMilliseconds, st.VerifyTime.TotalMilliseconds, st.StepsWithSpeculationOff, cost.ToDictionary(kv => kv.Key, kv => kv.Value.Calls),
            st.DraftManagedTime.TotalMilliseconds, st.GeneratedTokens,
            st.SnapshotRollbacks, st.CheckpointRestores, st.ReplayedTokens, st.RollbackTime.TotalMilliseconds);
    }

    public static StatisticsSnapshot operator -(StatisticsSnapshot a, StatisticsSnapshot b) => new(
        a.TargetCalls - b.TargetCalls, a.Drafted - b.Drafted, a.Accepted - b.Accepted, a.DraftCalls - b.DraftCalls,
        a.DraftMs - b.DraftMs, a.SingleCalls - b.SingleCalls, a.SingleMs - b.SingleMs, a.TargetMs - b.TargetMs, a.VerifyMs - b.VerifyMs,
        a.SpeculationOff - b.SpeculationOff,
        a.BatchCalls.Select(kv => (kv.Key, Calls: kv.Value - b.BatchCalls.GetValueOrDefault(kv.Key))).Where(x => x.Calls > 0).ToDictionary(x => x.Key, x => x.Calls),
        a.DraftManagedMs - b.DraftManagedMs, a.Committed - b.Committed,
        a.SnapshotRollbacks - b.SnapshotRollbacks, a.CheckpointRestores - b.CheckpointRestores, a.ReplayedTokens - b.ReplayedTokens, a.RollbackMs - b.RollbackMs);
}

