namespace SpecAI.Extensions.Engine;

/// <summary>
/// Chooses the draft length L and draft count k before each step to maximise the expected tokens per
/// second, from measured costs and acceptance, and switches speculation off while it does not pay.
/// </summary>
/// <remarks>
/// <para>Model: a step drafting k branches of L tokens costs <c>L * d(k) + t(1 + k L) + r</c>, with r the measured rollback
/// time per step (checkpoint, restore and replay on recurrent and hybrid models), d(k) the measured
/// draft time per drafted depth and t(b) the measured target decode time of a batch of b tokens (tree plus
/// the pending token; shared prefixes only make it smaller). It commits
/// <c>E = 1 + sum_(d=1..L) prod_(j&lt;=d) a_j(k)</c> tokens, a_j(k) the rolling acceptance at depth j: the
/// probability that the walk continues at depth j once it got there. Plain decoding yields <c>1 / t(1)</c>
/// tokens per second; when the best (L, k) is estimated slower, L = 0 (speculation off), and every
/// <see cref="ProbeInterval"/> steps one step drafts at full length and count to measure acceptance again.
/// Probing at full length measures every depth in one step, so a recovered draft is seen at all depths.</para>
/// <para>Estimates: exponential moving averages (weight <see cref="Smoothing"/>; the first observation is
/// taken as is). t(b) between measured sizes is interpolated linearly; beyond them it is extrapolated with
/// the slope of the two nearest sizes, or, from a single size, with the CPU shape <c>1 + 0.35 (b - 1)</c>
/// (DESIGN.md section 2). An unmeasured a_j(k) comes from a measured k' at the same depth as
/// <c>1 - (1 - a_j(k'))^(k / k')</c>, else from the depth above, else 0.5. The first
/// <see cref="WarmupSteps"/> steps draft at full length and count. Known limitation: the first draft after
/// speculation was off also decodes the tokens the draft model missed, which inflates d(k) once.</para>
/// <para>Not thread-safe: the engine calls it from one generation at a time.</para>
/// </remarks>
internal sealed class AdaptiveDraftPolicy
{
    /// <summary>Deepest draft position tracked.</summary>
    public const int MaxDepth = SpeculationLimits.MaxDraftLength;

    /// <summary>Most drafts per step tracked.</summary>
    public const int MaxCount = SpeculationLimits.MaxDraftCount;

    private const double PriorAcceptance = 0.5;
    private readonly BatchCostCurve _targetCost;
    private readonly BatchCostCurve _draftCost;
    private readonly double[,] _acceptance = new double[MaxCount + 1, MaxDepth + 1];
    private double _rollbackCost = double.NaN;
    private int _steps;
    private int _offSteps;

    /// <summary>Creates a policy.</summary>
    /// <param name="probeInterval">Steps between probes while speculation is off (at least 1).</param>
    /// <param name="smoothing">Weight of a new observation in the moving averages, in (0, 1].</param>
    /// <param name="warmupSteps">Steps drafted at full length before the model is trusted.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public AdaptiveDraftPolicy(int probeInterval = 16, double smoothing = 0.125, int warmupSteps = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probeInterval, 1);
        if (!(smoothing > 0 && smoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Smoothing must be in (0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ProbeInterval = probeInterval;
        Smoothing = smoothing;
        WarmupSteps = warmupSteps;
        _targetCost = new BatchCostCurve(smoothing);
        _draftCost = new BatchCostCurve(smoothing);
        for (int k = 0; k <= MaxCount; k++)
        {
            for (int d = 0; d <= MaxDepth; d++)
            {
                _acceptance[k, d] = double.NaN;
            }
        }
    }

    /// <summary>Steps between probes while speculation is off.</summary>
    public int ProbeInterval { get; }

    /// <summary>Weight of a new observation in the moving averages.</summary>
    public double Smoothing { get; }

    /// <summary>Steps drafted at full length before the estimates are used.</summary>
    public int WarmupSteps { get; }

    /// <summary>The last plan chosen.</summary>
    public DraftPlan Current { get; private set; }

    /// <summary>Records a target verification decode.</summary>
    /// <param name="batchSize">Tokens in the batch (at least 1).</param>
    /// <param name="elapsed">Its wall time.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    public void RecordTargetDecode(int batchSize, TimeSpan elapsed)
    {
        _targetCost.Record(batchSize, elapsed.TotalSeconds);
    }

    /// <summary>Records the drafting time of a step.</summary>
    /// <param name="length">Drafted length (steps with 0 are ignored).</param>
    /// <param name="count">Draft rows per depth: the drafts of one request, or of every request drafted together.</param>
    /// <param name="elapsed">Wall time of drafting.</param>
    public void RecordDraft(int length, int count, TimeSpan elapsed)
    {
        if (length <= 0)
        {
            return;
        }

        _draftCost.Record(Math.Max(1, count), Math.Max(0, elapsed.TotalSeconds) / length);
    }

    /// <summary>
    /// Records the rollback work of one speculative step of one request: saving a checkpoint, restoring it and replaying
    /// the accepted tokens on recurrent and hybrid models (zero where rejected drafts are simply removed).
    /// </summary>
    /// <param name="elapsed">Wall time of that work in the step.</param>
    public void RecordRollback(TimeSpan elapsed)
    {
        double seconds = Math.Max(0, elapsed.TotalSeconds);
        _rollbackCost = double.IsNaN(_rollbackCost) ? seconds : Blend(_rollbackCost, seconds);
    }

    /// <summary>Estimated rollback time of one request's speculative step, in seconds (0 before any measurement).</summary>
    /// <returns>Seconds.</returns>
    public double RollbackCost() => double.IsNaN(_rollbackCost) ? 0 : _rollbackCost;

    /// <summary>Records whether the walk continued at a drafted depth (the committed token was drafted there).</summary>
    /// <param name="depth">Depth, from 1.</param>
    /// <param name="count">Drafts per step in this step.</param>
    /// <param name="continued">Whether the committed token was one of the drafts.</param>
    public void RecordDepth(int depth, int count, bool continued) => RecordDepth(depth, count, continued ? 1.0 : 0.0);

    /// <summary>Records an observed acceptance rate at a depth (aggregated or scripted measurements), blended like one step.</summary>
    /// <param name="depth">Depth, from 1.</param>
    /// <param name="count">Drafts per step.</param>
    /// <param name="acceptance">The observed rate in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="acceptance"/> is not in [0, 1].</exception>
    public void RecordDepth(int depth, int count, double acceptance)
    {
        if (!(acceptance >= 0 && acceptance <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(acceptance), acceptance, "Acceptance must be in [0, 1].");
        }

        if (depth < 1 || depth > MaxDepth)
        {
            return;
        }

        int k = Math.Clamp(count, 1, MaxCount);
        _acceptance[k, depth] = double.IsNaN(_acceptance[k, depth]) ? acceptance : Blend(_acceptance[k, depth], acceptance);
    }

    /// <summary>Estimated probability that the walk continues at <paramref name="depth"/> given it got there, with k drafts.</summary>
    /// <param name="depth">Depth, from 1.</param>
    /// <param name="count">k.</param>
    /// <returns>The estimate.</returns>
    public double Acceptance(int depth, int count)
    {
        int k = Math.Clamp(count, 1, MaxCount);
        for (int d = Math.Clamp(depth, 1, MaxDepth); d >= 1; d--)
        {
            if (!double.IsNaN(_acceptance[k, d]))
            {
                return _acceptance[k, d];
            }

            // Nearest measured draft count at this depth.
            for (int distance = 1; distance < MaxCount; distance++)
            {
                foreach (int other in new[] { k - distance, k + distance })
                {
                    if (other >= 1 && other <= MaxCount && !double.IsNaN(_acceptance[other, d]))
                    {
                        return 1 - Math.Pow(1 - _acceptance[other, d], (double)k / other);
                    }
                }
            }
        }

        return PriorAcceptance;
    }

    /// <summary>Estimated target decode time of a batch of <paramref name="batchSize"/> tokens, in seconds (NaN before any measurement).</summary>
    /// <param name="batchSize">Tokens.</param>
    /// <returns>Seconds.</returns>
    public double TargetCost(int batchSize) => _targetCost.Estimate(batchSize);

    /// <summary>Estimated drafting time per drafted depth with <paramref name="count"/> draft rows per depth, in seconds (0 before any measurement).</summary>
    /// <param name="count">Draft rows per depth (k for one request).</param>
    /// <returns>Seconds.</returns>
    public double DraftCost(int count) => _draftCost.IsEmpty ? 0 : _draftCost.Estimate(Math.Max(1, count));

    /// <summary>Expected tokens committed by a step drafting k branches of L tokens: <c>1 + sum_d prod_(j&lt;=d) a_j(k)</c>.</summary>
    /// <param name="length">L.</param>
    /// <param name="count">k.</param>
    /// <returns>Expected tokens.</returns>
    public double ExpectedTokens(int length, int count)
    {
        double expected = 1, reach = 1;
        for (int d = 1; d <= Math.Min(length, MaxDepth); d++)
        {
            reach *= Acceptance(d, count);
            expected += reach;
        }

        return expected;
    }

    /// <summary>Estimated tokens per second of a plan for one request alone (L = 0: plain decoding); NaN before the target was measured.</summary>
    /// <param name="length">L.</param>
    /// <param name="count">k.</param>
    /// <returns>Tokens per second.</returns>
    public double TokensPerSecond(int length, int count) => BatchTokensPerSecond(length, count, requests: 1, otherRows: 0);

    /// <summary>Chooses the plan of the next step.</summary>
    /// <param name="maxLength">Longest allowed draft (the configured draft length).</param>
    /// <param name="maxCount">Most drafts allowed (the configured draft count).</param>
    /// <returns>The plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A bound is negative, or the count is below 1.</exception>
    public DraftPlan Choose(int maxLength, int maxCount) => ChooseShared(maxLength, maxCount, requests: 1, otherRows: 0);

    /// <summary>
    /// Estimated tokens per second of a tick in which <paramref name="requests"/> requests each draft k
    /// branches of L tokens and the target batch also carries <paramref name="otherRows"/> rows (prompt
    /// chunks, requests that do not speculate): <c>n E(L, k) / (L d(n k) + t(rows + n (1 + k L)) + n r)</c>, r the measured
    /// rollback time per speculative step (checkpoint, restore and replay on recurrent models; 0 elsewhere).
    /// </summary>
    /// <param name="length">L (0: plain decoding).</param>
    /// <param name="count">k.</param>
    /// <param name="requests">Requests that speculate this tick.</param>
    /// <param name="otherRows">Further target rows in the same batch.</param>
    /// <returns>Tokens per second of those requests.</returns>
    public double BatchTokensPerSecond(int length, int count, int requests, int otherRows)
    {
        requests = Math.Max(1, requests);
        if (length <= 0)
        {
            return requests / TargetCost(otherRows + requests);
        }

        double cost = length * DraftCost(requests * count) + TargetCost(otherRows + requests * (1 + count * length)) + requests * RollbackCost();
        return requests * ExpectedTokens(length, count) / cost;
    }

    /// <summary>
    /// Chooses one plan for several requests decoded in the same target batch, to maximise their total tokens
    /// per second (speculation off while plain decoding of the whole batch is estimated faster). Each request
    /// then clamps the plan to its own limits.
    /// </summary>
    /// <param name="maxLength">Longest draft any of them allows.</param>
    /// <param name="maxCount">Most drafts any of them allows.</param>
    /// <param name="requests">Requests that may speculate this tick.</param>
    /// <param name="otherRows">Further target rows in the same batch.</param>
    /// <returns>The plan.</returns>
    public DraftPlan ChooseShared(int maxLength, int maxCount, int requests, int otherRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        maxLength = Math.Min(maxLength, MaxDepth);
        maxCount = Math.Min(maxCount, MaxCount);
        _steps++;
        if (maxLength == 0 || _steps <= WarmupSteps || double.IsNaN(TargetCost(1)))
        {
            return Current = new DraftPlan(maxLength, maxCount, IsProbe: false);
        }

        double plain = BatchTokensPerSecond(0, 1, requests, otherRows);
        double best = 0;
        var plan = new DraftPlan(0, 1, IsProbe: false);
        for (int k = 1; k <= maxCount; k++)
        {
            for (int length = 1; length <= maxLength; length++)
            {
                double rate = BatchTokensPerSecond(length, k, requests, otherRows);
                if (rate > best)
                {
                    best = rate;
                    plan = new DraftPlan(length, k, IsProbe: false);
                }
            }
        }

        if (best > plain)
        {
            _offSteps = 0;
            return Current = plan;
        }

        return Probe(maxLength, maxCount);
    }

    private double Blend(double old, double observed) => old + Smoothing * (observed - old);

    private DraftPlan Probe(int maxLength, int maxCount)
    {
        _offSteps++;
        return Current = _offSteps % ProbeInterval == 0
            ? new DraftPlan(maxLength, maxCount, IsProbe: true)
            : new DraftPlan(0, 1, IsProbe: false);
    }
}
