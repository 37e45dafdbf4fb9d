using System.Diagnostics;

namespace SpecAI.Extensions;

/// <summary>
/// Counters of speculative decoding: per request, or accumulated over a client's life. Thread-safe.
/// </summary>
public sealed partial class SpeculationStatistics
{
    /// <summary>Longest accepted length tracked separately by the histogram; longer runs count in the last bucket.</summary>
    public const int HistogramLength = 33;

    private readonly object _gate = new();
    private readonly long[] _acceptedLengthHistogram = new long[HistogramLength];
    private readonly Dictionary<int, (long Count, long Ticks)> _targetBatchCost = new();
    private long _prefillTokens;
    private long _targetCalls, _draftCalls, _prefillCalls, _draftedTokens, _acceptedTokens, _generatedTokens, _lossySteps, _judgeAcceptedTokens;
    private Engine.GenerationStopReason _stopReason;
    private int _stoppedAfter;
    private long _targetTicks, _draftTicks, _draftManagedTicks, _verifyTicks, _prefillTicks;
    private double _optimalAcceptanceSum, _achievedAcceptanceSum;
    private long _acceptanceBoundSamples;
    private readonly long[] _depthReached = new long[DepthLength];
    private readonly long[] _depthContinued = new long[DepthLength];
    private long _speculationOffSteps;
    private long _draftSteps;
    private long _relaxedNodes;
    private double _relaxationDistanceSum, _relaxationDistanceMax;
    private long _snapshotRollbacks, _checkpointRestores, _replayedTokens, _rollbackTicks;
    private int _currentDraftLength = -1, _currentDraftCount;

    /// <summary>Deepest draft position whose acceptance is counted separately (deeper ones count in the last entry).</summary>
    public const int DepthLength = 65;

    /// <summary>Verified steps that had at least one drafted token (vLLM's <c>spec_decode_num_drafts</c>).</summary>
    public long DraftSteps { get { lock (_gate) { return _draftSteps; } } }

    /// <summary>Target verification decodes (one per speculative step, or per token without speculation).</summary>
    public long TargetCalls { get { lock (_gate) { return _targetCalls; } } }

    /// <summary>Draft-model decodes.</summary>
    public long DraftCalls { get { lock (_gate) { return _draftCalls; } } }

    /// <summary>Prompt decodes (prefill chunks) of the target.</summary>
    public long PrefillCalls { get { lock (_gate) { return _prefillCalls; } } }

    /// <summary>Prompt tokens the target decoded (what its KV cache did not already hold: a follow-up turn decodes only its new part).</summary>
    public long PrefillTokens { get { lock (_gate) { return _prefillTokens; } } }

    /// <summary>Tokens proposed to the target (distinct draft-tree nodes).</summary>
    public long DraftedTokens { get { lock (_gate) { return _draftedTokens; } } }

    /// <summary>Drafted tokens the verifier accepted.</summary>
    public long AcceptedTokens { get { lock (_gate) { return _acceptedTokens; } } }

    /// <summary>Tokens committed to the output.</summary>
    public long GeneratedTokens { get { lock (_gate) { return _generatedTokens; } } }

    /// <summary>Steps verified by a LOSSY rule (typical acceptance, judge); 0 means every token followed the target's law.</summary>
    public long LossySteps { get { lock (_gate) { return _lossySteps; } } }

    /// <summary>Drafted tokens kept only because the judge accepted them (the standard rule had rejected them); LOSSY. Included in <see cref="AcceptedTokens"/>.</summary>
    public long JudgeAcceptedTokens { get { lock (_gate) { return _judgeAcceptedTokens; } } }

    /// <summary>Nodes where the LANTERN verifier built its relaxed distribution (at every verified node with a draft when the diagnostics are on; else only where standard verification rejected).</summary>
    public long RelaxedNodes { get { lock (_gate) { return _relaxedNodes; } } }

    /// <summary>Mean total-variation distance between LANTERN's relaxed distribution and the target's over <see cref="RelaxedNodes"/> (0 when none).</summary>
    public double MeanRelaxationDistance { get { lock (_gate) { return _relaxedNodes == 0 ? 0 : _relaxationDistanceSum / _relaxedNodes; } } }

    /// <summary>Largest total-variation distance between LANTERN's relaxed distribution and the target's at one node.</summary>
    public double MaxRelaxationDistance { get { lock (_gate) { return _relaxationDistanceMax; } } }

    /// <summary>Accepted tokens per drafted token (0 when nothing was drafted).</summary>
    public double AcceptanceRate { get { lock (_gate) { return _draftedTokens == 0 ? 0 : (double)_acceptedTokens / _draftedTokens; } } }

    /// <summary>Mean tokens committed per target verification call.</summary>
    public double TokensPerTargetCall { get { lock (_gate) { return _targetCalls == 0 ? 0 : (double)_generatedTokens / _targetCalls; } } }

    /// <summary>Mean accepted drafts per step.</summary>
    public double MeanAcceptedLength { get { lock (_gate) { return _targetCalls == 0 ? 0 : (double)_acceptedTokens / _targetCalls; } } }

    /// <summary>Mean optimal acceptance (multi-draft bound) over verified positions; NaN when not measured.</summary>
    public double OptimalAcceptance { get { lock (_gate) { return _acceptanceBoundSamples == 0 ? double.NaN : _optimalAcceptanceSum / _acceptanceBoundSamples; } } }

    /// <summary>Mean achieved acceptance over the positions where the optimum was measured; NaN when not measured.</summary>
    public double AchievedAcceptance { get { lock (_gate) { return _acceptanceBoundSamples == 0 ? double.NaN : _achievedAcceptanceSum / _acceptanceBoundSamples; } } }

    /// <summary>Draft length of the last step (after adaptation and clamping); -1 before any step, 0 when speculation was off.</summary>
    public int CurrentDraftLength { get { lock (_gate) { return _currentDraftLength; } } }

    /// <summary>Drafts per step (k) of the last step.</summary>
    public int CurrentDraftCount { get { lock (_gate) { return _currentDraftCount; } } }

    /// <summary>Steps in which adaptive drafting had switched speculation off (plain decoding).</summary>
    public long StepsWithSpeculationOff { get { lock (_gate) { return _speculationOffSteps; } } }

    /// <summary>
    /// Acceptance per draft depth: entry d (from 1) is the fraction of the steps that reached depth d with drafts
    /// there in which the committed token was one of them (NaN where never reached; entry 0 unused).
    /// </summary>
    /// <returns>A new array of <see cref="DepthLength"/> entries.</returns>
    public double[] DepthAcceptance()
    {
        lock (_gate)
        {
            var rates = new double[DepthLength];
            for (int d = 0; d < DepthLength; d++)
            {
                rates[d] = _depthReached[d] == 0 ? double.NaN : (double)_depthContinued[d] / _depthReached[d];
            }

            return rates;
        }
    }

    /// <summary>Time spent in target verification decodes.</summary>
    public TimeSpan TargetTime { get { lock (_gate) { return TimeSpan.FromTicks(_targetTicks); } } }

    /// <summary>Time spent drafting (draft-model decodes and draft sampling).</summary>
    public TimeSpan DraftTime { get { lock (_gate) { return TimeSpan.FromTicks(_draftTicks); } } }

    /// <summary>
    /// The managed share of <see cref="DraftTime"/>: turning the draft's logits into q and drawing the candidates (the
    /// draft model's own decodes excluded), so our per-node drafting cost can be told apart from the model's.
    /// </summary>
    public TimeSpan DraftManagedTime { get { lock (_gate) { return TimeSpan.FromTicks(_draftManagedTicks); } } }

    /// <summary>Time spent turning target logits into distributions and verifying.</summary>
    public TimeSpan VerifyTime { get { lock (_gate) { return TimeSpan.FromTicks(_verifyTicks); } } }

    /// <summary>Time spent decoding prompts.</summary>
    public TimeSpan PrefillTime { get { lock (_gate) { return TimeSpan.FromTicks(_prefillTicks); } } }

    /// <summary>How many steps accepted exactly i drafts (the last bucket holds longer runs).</summary>
    /// <returns>A copy of the histogram.</returns>
    public long[] AcceptedLengthHistogram() { lock (_gate) { return (long[])_acceptedLengthHistogram.Clone(); } }

    /// <summary>Measured target decode cost by batch size: (calls, mean milliseconds).</summary>
    /// <returns>A copy, keyed by batch size.</returns>
    public IReadOnlyDictionary<int, (long Calls, double MeanMilliseconds)> TargetBatchCost()
    {
        lock (_gate)
        {
            return _targetBatchCost.ToDictionary(
                kv => kv.Key,
                kv => (kv.Value.Count, TimeSpan.FromTicks(kv.Value.Ticks).TotalMilliseconds / kv.Value.Count));
        }
    }

    /// <summary>Steps whose rejected drafts were taken back natively from recurrent-state snapshots (qwen35's <c>n_rs_seq</c>).</summary>
    public long SnapshotRollbacks { get { lock (_gate) { return _snapshotRollbacks; } } }

    /// <summary>Steps whose rejected drafts were taken back by restoring a checkpoint and replaying the accepted tokens.</summary>
    public long CheckpointRestores { get { lock (_gate) { return _checkpointRestores; } } }

    /// <summary>Accepted tokens decoded a second time after a checkpoint was restored.</summary>
    public long ReplayedTokens { get { lock (_gate) { return _replayedTokens; } } }

    /// <summary>Time spent restoring checkpoints and replaying (saving checkpoints included where measured).</summary>
    public TimeSpan RollbackTime { get { lock (_gate) { return TimeSpan.FromTicks(_rollbackTicks); } } }

    /// <summary>Why the engine ended the generation recorded here (<see cref="Engine.GenerationStopReason.None"/> while it runs, or when it was cancelled or failed).</summary>
    public Engine.GenerationStopReason StopReason { get { lock (_gate) { return _stopReason; } } }

    /// <summary>How many tokens the generation had produced when the engine ended it (the stop token, if any, is the last of them); 0 while it runs.</summary>
    public int StoppedAfterTokens { get { lock (_gate) { return _stoppedAfter; } } }

    /// <summary>Adds another statistics object's counts into this one.</summary>
    /// <param name="other">The counts to add.</param>
    public void Add(SpeculationStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
        {
            return;
        }

        lock (other._gate)
        {
            lock (_gate)
            {
                _targetCalls += other._targetCalls;
                _draftCalls += other._draftCalls;
                _prefillCalls += other._prefillCalls;
                _prefillTokens += other._prefillTokens;
                _draftedTokens += other._draftedTokens;
                _acceptedTokens += other._acceptedTokens;
                _generatedTokens += other._generatedTokens;
                _lossySteps += other._lossySteps;
                _judgeAcceptedTokens += other._judgeAcceptedTokens;
                _targetTicks += other._targetTicks;
                _draftTicks += other._draftTicks;
                _draftManagedTicks += other._draftManagedTicks;
                _verifyTicks += other._verifyTicks;
                _prefillTicks += other._prefillTicks;
                _optimalAcceptanceSum += other._optimalAcceptanceSum;
                _achievedAcceptanceSum += other._achievedAcceptanceSum;
                _acceptanceBoundSamples += other._acceptanceBoundSamples;
                _relaxedNodes += other._relaxedNodes;
                _relaxationDistanceSum += other._relaxationDistanceSum;
                _relaxationDistanceMax = Math.Max(_relaxationDistanceMax, other._relaxationDistanceMax);
                for (int i = 0; i < HistogramLength; i++)
                {
                    _acceptedLengthHistogram[i] += other._acceptedLengthHistogram[i];
                }

                for (int d = 0; d < DepthLength; d++)
                {
                    _depthReached[d] += other._depthReached[d];
                    _depthContinued[d] += other._depthContinued[d];
                }

                _speculationOffSteps += other._speculationOffSteps;
                _draftSteps += other._draftSteps;
                _snapshotRollbacks += other._snapshotRollbacks;
                _checkpointRestores += other._checkpointRestores;
                _replayedTokens += other._replayedTokens;
                _rollbackTicks += other._rollbackTicks;
                if (other._currentDraftLength >= 0)
                {
                    _currentDraftLength = other._currentDraftLength;
                    _currentDraftCount = other._currentDraftCount;
                }

                foreach (var (size, value) in other._targetBatchCost)
                {
                    var (count, ticks) = _targetBatchCost.GetValueOrDefault(size);
                    _targetBatchCost[size] = (count + value.Count, ticks + value.Ticks);
                }
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"generated {GeneratedTokens}, target calls {TargetCalls}, drafted {DraftedTokens}, accepted {AcceptedTokens} " +
        $"(rate {AcceptanceRate:F3}, {TokensPerTargetCall:F2} tokens/call)" +
        (double.IsNaN(OptimalAcceptance) ? string.Empty : $", acceptance achieved {AchievedAcceptance:F3} of optimal {OptimalAcceptance:F3}") +
        (StepsWithSpeculationOff > 0 ? $", speculation off {StepsWithSpeculationOff} steps" : string.Empty) +
        (CheckpointRestores + SnapshotRollbacks > 0 ? $", rollbacks {SnapshotRollbacks} by snapshot, {CheckpointRestores} by checkpoint ({ReplayedTokens} tokens replayed)" : string.Empty) +
        (LossySteps > 0 ? $", LOSSY steps {LossySteps}" : string.Empty) +
        (JudgeAcceptedTokens > 0 ? $", judge-accepted tokens {JudgeAcceptedTokens}" : string.Empty);

    internal static TimeSpan Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp);
}
