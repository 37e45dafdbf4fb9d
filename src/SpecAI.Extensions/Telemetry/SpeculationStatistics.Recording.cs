using System.Diagnostics;

namespace SpecAI.Extensions;

// What the engine records (its thread, or a scheduler step); the readers and Add are in SpeculationStatistics.cs.
public sealed partial class SpeculationStatistics
{
    /// <summary>Records the draft length and count a step used.</summary>
    /// <param name="length">Draft length (0: no speculation this step).</param>
    /// <param name="count">Drafts per step.</param>
    /// <param name="speculationOff">Whether adaptive drafting had switched speculation off.</param>
    internal void RecordDraftPlan(int length, int count, bool speculationOff)
    {
        lock (_gate)
        {
            _currentDraftLength = length;
            _currentDraftCount = count;
            if (speculationOff)
            {
                _speculationOffSteps++;
            }
        }
    }

    /// <summary>Records whether the committed token at a drafted depth was one of the drafts.</summary>
    /// <param name="depth">Depth, from 1.</param>
    /// <param name="continued">Whether a draft was committed there.</param>
    internal void RecordDepth(int depth, bool continued)
    {
        int d = Math.Clamp(depth, 0, DepthLength - 1);
        lock (_gate)
        {
            _depthReached[d]++;
            if (continued)
            {
                _depthContinued[d]++;
            }
        }
    }

    /// <summary>Records a decode of one model.</summary>
    /// <param name="isTarget">Target (true) or draft.</param>
    /// <param name="batchSize">Tokens in the batch.</param>
    /// <param name="elapsed">Wall time of the decode.</param>
    /// <param name="prefill">Whether this was a prompt decode rather than a verification or draft step.</param>
    internal void RecordDecode(bool isTarget, int batchSize, TimeSpan elapsed, bool prefill)
    {
        lock (_gate)
        {
            if (isTarget && prefill)
            {
                _prefillCalls++;
                _prefillTicks += elapsed.Ticks;
            }
            else if (isTarget)
            {
                _targetCalls++;
                _targetTicks += elapsed.Ticks;
                var (count, ticks) = _targetBatchCost.GetValueOrDefault(batchSize);
                _targetBatchCost[batchSize] = (count + 1, ticks + elapsed.Ticks);
            }
            else
            {
                _draftCalls++;
                _draftTicks += elapsed.Ticks;
            }
        }
    }

    /// <summary>Counts prompt tokens decoded by the target (in prefill chunks or together with a step).</summary>
    /// <param name="count">Tokens.</param>
    internal void RecordPrefillTokens(int count) { lock (_gate) { _prefillTokens += count; } }

    /// <summary>Records one rollback of rejected drafts on a recurrent or hybrid model.</summary>
    /// <param name="replayedTokens">Tokens decoded again.</param>
    /// <param name="restored">Whether a checkpoint was restored (else native snapshots took the tail back).</param>
    /// <param name="elapsed">Time spent.</param>
    internal void RecordRollback(int replayedTokens, bool restored, TimeSpan elapsed)
    {
        lock (_gate)
        {
            if (restored)
            {
                _checkpointRestores++;
            }
            else
            {
                _snapshotRollbacks++;
            }

            _replayedTokens += replayedTokens;
            _rollbackTicks += elapsed.Ticks;
        }
    }

    /// <summary>Adds drafting time spent outside decodes (sampling the drafts).</summary>
    /// <param name="elapsed">The time.</param>
    internal void RecordDraftOverhead(TimeSpan elapsed)
    {
        lock (_gate)
        {
            _draftTicks += elapsed.Ticks;
            _draftManagedTicks += elapsed.Ticks;
        }
    }

    internal void RecordStop(Engine.GenerationStopReason reason, int generated)
    {
        lock (_gate)
        {
            _stopReason = reason;
            _stoppedAfter = generated;
        }
    }

    /// <summary>Records one verified step.</summary>
    /// <param name="drafted">Tokens proposed.</param>
    /// <param name="accepted">Drafts accepted.</param>
    /// <param name="committed">Tokens committed.</param>
    /// <param name="lossy">Whether a lossy rule decided.</param>
    /// <param name="verifyTime">Time to build distributions and verify.</param>
    internal void RecordStep(int drafted, int accepted, int committed, bool lossy, TimeSpan verifyTime)
    {
        lock (_gate)
        {
            _draftedTokens += drafted;
            _draftSteps += drafted > 0 ? 1 : 0;
            _acceptedTokens += accepted;
            _generatedTokens += committed;
            _acceptedLengthHistogram[Math.Min(accepted, HistogramLength - 1)]++;
            _verifyTicks += verifyTime.Ticks;
            if (lossy)
            {
                _lossySteps++;
            }
        }
    }

    /// <summary>Records drafted tokens the judge kept in one step (they also count as accepted in <see cref="RecordStep"/>).</summary>
    /// <param name="count">Tokens the judge kept.</param>
    internal void RecordJudgeAcceptedTokens(int count)
    {
        if (count > 0)
        {
            lock (_gate)
            {
                _judgeAcceptedTokens += count;
            }
        }
    }

    /// <summary>Records the optimal and achieved acceptance of one verified position (multi-draft diagnostic).</summary>
    /// <param name="optimal">Optimal acceptance probability for the draft law.</param>
    /// <param name="achieved">Acceptance probability the verifier achieved.</param>
    internal void RecordAcceptanceBound(double optimal, double achieved)
    {
        lock (_gate)
        {
            _optimalAcceptanceSum += optimal;
            _achievedAcceptanceSum += achieved;
            _acceptanceBoundSamples++;
        }
    }

    /// <summary>Records the TV distance of one LANTERN relaxation.</summary>
    /// <param name="distance">TV(p~, p) at the node.</param>
    internal void RecordRelaxation(double distance)
    {
        lock (_gate)
        {
            _relaxedNodes++;
            _relaxationDistanceSum += distance;
            _relaxationDistanceMax = Math.Max(_relaxationDistanceMax, distance);
        }
    }
}
