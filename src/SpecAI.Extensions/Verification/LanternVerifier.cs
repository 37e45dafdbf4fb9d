using System.Numerics.Tensors;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// LANTERN relaxed speculative sampling (Jang et al., "LANTERN: Accelerating Visual Autoregressive Models with Relaxed
/// Speculative Decoding", ICLR 2025, arXiv:2410.03355). LOSSY with a bound: each committed token follows a relaxed
/// distribution p~ whose total-variation distance to the target's p is at most <see cref="Delta"/>; delta = 0 is
/// standard speculative sampling, draw for draw.
/// </summary>
/// <remarks>
/// <para>The paper's rule: a draft token x is accepted against the mass of its latent neighbourhood A_k(x) (the k tokens
/// nearest to x in the target's token-embedding space, cosine), taking neighbours nearest first while the mass moved to x
/// keeps TV(p~, p) &lt;= delta.</para>
/// <para>Rule here. One p~ per node, built before the draft token is looked at: among a pool of the node's likely tokens
/// (the <see cref="PoolSize"/> most probable under p and under q; for a deterministic draft x, p's and x), every token
/// the draft over-proposes (q &gt; p), most proposed first, takes mass from its k nearest pool tokens (p &gt; 0) that
/// p over-weights (p &gt; q), nearest first, each move capped by the donor's surplus p - q, the receiver's deficit
/// q - p and what is left of the budget delta (the last neighbour may give part of its mass). Moved mass is the TV
/// distance, so TV(p~, p) &lt;= delta. Then standard speculative sampling against p~: accept x with min(1, p~(x)/q(x)),
/// else draw from norm(max(0, p~ - q)); its output law is exactly p~.</para>
/// <para>Why not the paper's per-draft p~_x: when the relaxation depends on the drafted token, the committed token's law
/// is a mixture of the p~_x and no longer within delta of p (p = 0.5 on token a and 0.05 on each of b1..b10, q uniform
/// on the b's, each b's nearest neighbour a: at delta = 0.1 every draft is accepted and the output is q, at TV 0.5).
/// Deciding p~ from p and q alone keeps the bound on what is actually emitted; the caps spend the budget only where
/// it raises acceptance (each unit of TV buys one unit of acceptance).</para>
/// <para>Random draws: the standard test min(1, p(x)/q(x)) is drawn first, so whatever standard verification accepts,
/// this accepts with the same draw; only after it fails is p~ built (nothing vocabulary-wide on the accepted path) and
/// x accepted with the remaining <c>(a~ - a) / (1 - a)</c>, which makes the total exactly a~ = min(1, p~(x)/q(x)). With
/// delta = 0 no further draw is made and the residual is standard's.</para>
/// <para>Cost of a relaxed node: one pass over p and q to pick the pool (the residual pass follows anyway), the pool's
/// embedding rows (<see cref="ITokenEmbeddings"/>, read and cached by the backend) and receivers x pool cosines.</para>
/// </remarks>
internal sealed partial class LanternVerifier : ISpeculativeVerifier
{
    /// <summary>Default TV budget per step (see docs/lantern.md for the measurements behind it).</summary>
    public const double DefaultDelta = 0.1;

    /// <summary>Default neighbourhood size k.</summary>
    public const int DefaultNeighbourCount = 8;

    /// <summary>Default number of top tokens taken from p and from q into the pool.</summary>
    public const int DefaultPoolSize = 16;

    /// <summary>Largest neighbourhood and pool size accepted.</summary>
    public const int MaxNeighbourCount = 256;

    private readonly ITokenEmbeddings _embeddings;
    private readonly Move[] _moves;
    private int _moveCount;

    // Pool buffers: positions, probabilities under p and q, embedding rows, and their norms.
    private readonly int[] _pool;
    private readonly double[] _pp;
    private readonly double[] _pq;
    private readonly ReadOnlyMemory<float>[] _rows;
    private readonly double[] _norms;
    private readonly double[] _similarity;
    private readonly int[] _order;
    private readonly int[] _topP;
    private readonly int[] _topQ;
    private double[] _relaxed = [];

    /// <summary>Creates a verifier.</summary>
    /// <param name="embeddings">The target's token embeddings.</param>
    /// <param name="delta">TV budget per step in [0, 1]; 0 is standard speculative sampling.</param>
    /// <param name="neighbourCount">Neighbourhood size k in [1, <see cref="MaxNeighbourCount"/>].</param>
    /// <param name="poolSize">Top tokens of p and of q considered, in [1, <see cref="MaxNeighbourCount"/>].</param>
    /// <param name="measuresDistance">Whether to build p~ at every node with a candidate (a diagnostic: <see cref="LastDistance"/> at each node), not only where standard verification rejects.</param>
    /// <param name="multiDraft">
    /// The lossless multi-draft rule that verifies nodes with several candidates against p~ (for example
    /// <see cref="KSeqVerifier"/> or <see cref="RecursiveRejectionVerifier"/>: exact for any target, so their output is p~);
    /// null to accept one candidate per node only.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="multiDraft"/> is lossy.</exception>
    public LanternVerifier(ITokenEmbeddings embeddings, double delta = DefaultDelta, int neighbourCount = DefaultNeighbourCount, int poolSize = DefaultPoolSize, bool measuresDistance = false, ISpeculativeVerifier? multiDraft = null)
    {
        if (multiDraft is { IsLossless: false })
        {
            throw new ArgumentException("The multi-draft rule under LANTERN must be lossless (its exactness is what makes the output p~).", nameof(multiDraft));
        }

        ArgumentNullException.ThrowIfNull(embeddings);
        if (!(delta >= 0 && delta <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "The LANTERN budget delta must be in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(neighbourCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(neighbourCount, MaxNeighbourCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(poolSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(poolSize, MaxNeighbourCount);
        _embeddings = embeddings;
        MultiDraft = multiDraft;
        Delta = delta;
        NeighbourCount = neighbourCount;
        PoolSize = poolSize;
        MeasuresDistance = measuresDistance;
        int capacity = 2 * poolSize + 1;
        _pool = new int[capacity];
        _pp = new double[capacity];
        _pq = new double[capacity];
        _rows = new ReadOnlyMemory<float>[capacity];
        _norms = new double[capacity];
        _similarity = new double[capacity];
        _order = new int[capacity];
        _topP = new int[poolSize];
        _topQ = new int[poolSize];
        _moves = new Move[2 * capacity * capacity];
    }

    /// <summary>TV budget per step.</summary>
    public double Delta { get; }

    /// <summary>Neighbourhood size k.</summary>
    public int NeighbourCount { get; }

    /// <summary>Top tokens of p and of q considered per node.</summary>
    public int PoolSize { get; }

    /// <summary>The lossless rule that verifies nodes with several candidates against p~; null when only one candidate per node is taken.</summary>
    public ISpeculativeVerifier? MultiDraft { get; }

    /// <summary>Whether p~ is built at every node with a candidate (diagnostic).</summary>
    public bool MeasuresDistance { get; }

    /// <summary>TV(p~, p) of the last node where p~ was built; NaN where it was not (standard verification accepted first and <see cref="MeasuresDistance"/> is off, or no candidate).</summary>
    public double LastDistance { get; private set; } = double.NaN;

    /// <inheritdoc />
    double ISpeculativeVerifier.LastRelaxationDistance => LastDistance;

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Lantern;

    /// <inheritdoc />
    /// <remarks>Only at delta = 0 (standard speculative sampling).</remarks>
    public bool IsLossless => Delta == 0;

    /// <inheritdoc />
    public DraftScheme Scheme => MultiDraft?.Scheme ?? DraftScheme.Independent;

    /// <inheritdoc />
    public double ExpectedAcceptance(in VerificationNode node) => IsLossless ? (MultiDraft ?? StandardVerifier.Instance).ExpectedAcceptance(node) : double.NaN;

    /// <summary>Writes the relaxed distribution p~ for a node and returns TV(p~, p).</summary>
    /// <param name="p">Target probabilities.</param>
    /// <param name="q">Draft probabilities; empty for a deterministic draft of <paramref name="draftToken"/>.</param>
    /// <param name="tokenIds">Token id of each position; empty when positions are token ids.</param>
    /// <param name="draftToken">The drafted position (used only for a deterministic draft).</param>
    /// <param name="destination">Receives p~ (length of <paramref name="p"/>).</param>
    /// <returns>The total-variation distance between p~ and p (the mass moved).</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public double Relax(ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> tokenIds, int draftToken, Span<double> destination)
    {
        if ((!q.IsEmpty && q.Length != p.Length) || destination.Length < p.Length || (!tokenIds.IsEmpty && tokenIds.Length != p.Length))
        {
            throw new ArgumentException("p, q, token ids and destination must cover the same positions.", nameof(destination));
        }

        double moved = Build(p, 1.0, q, 1.0, tokenIds, draftToken);
        p.CopyTo(destination);
        foreach (var move in _moves.AsSpan(0, _moveCount))
        {
            destination[move.Position] += move.Mass;
        }

        return moved;
    }

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        LastDistance = double.NaN;
        if (Delta == 0 && MultiDraft is not null)
        {
            // Nothing to relax: exactly the multi-draft rule, draw for draw.
            return MultiDraft.Verify(node, random);
        }

        if (node.Candidates.IsEmpty)
        {
            return VerificationResult.Recovered(random.NextCategorical(node.Target));
        }

        if (node.Candidates.Length != 1)
        {
            return MultiDraft is null
                ? throw new ArgumentException($"The LANTERN verifier was made for one draft per position; got {node.Candidates.Length} (give it a multi-draft rule).", nameof(node))
                : VerifyMany(node, random);
        }

        int x = node.Candidates[0];
        bool built = false;
        if (MeasuresDistance && Delta > 0)
        {
            LastDistance = Build(node.Target, node.TargetScale, node.Draft, node.DraftScale, node.TokenIds, x);
            built = true;
        }

        // The standard test first: same draw, same acceptance.
        double a = StandardVerifier.AcceptanceProbability(node, x);
        if (random.NextBernoulli(a))
        {
            return new VerificationResult(x, 0);
        }

        if (Delta == 0)
        {
            return StandardVerifier.DrawResidual(node, x, random);
        }

        if (!built)
        {
            LastDistance = Build(node.Target, node.TargetScale, node.Draft, node.DraftScale, node.TokenIds, x);
        }

        double px = node.Target[x] * node.TargetScale + MovedTo(x);
        double qx = node.Draft.IsEmpty ? 1.0 : node.Draft[x] * node.DraftScale;
        double relaxed = qx <= 0 ? 0 : Math.Min(1.0, px / qx);
        if (relaxed > a && random.NextBernoulli((relaxed - a) / (1 - a)))
        {
            return new VerificationResult(x, 0);
        }

        return _moveCount == 0 ? StandardVerifier.DrawResidual(node, x, random) : DrawRelaxedResidual(node, x, random);
    }

    // Several candidates: the multi-draft rule against p~ itself (p~ written out in probabilities: one copy of p per node).
    private VerificationResult VerifyMany(in VerificationNode node, IRandomSource random)
    {
        if (Delta == 0)
        {
            return MultiDraft!.Verify(node, random);
        }

        LastDistance = Build(node.Target, node.TargetScale, node.Draft, node.DraftScale, node.TokenIds, node.Candidates[0]);
        if (_moveCount == 0)
        {
            return MultiDraft!.Verify(node, random);
        }

        if (_relaxed.Length < node.Target.Length)
        {
            _relaxed = new double[node.Target.Length];
        }

        var relaxed = _relaxed.AsSpan(0, node.Target.Length);
        TensorPrimitives.Multiply(node.Target, node.TargetScale, relaxed);
        foreach (var move in _moves.AsSpan(0, _moveCount))
        {
            relaxed[move.Position] = Math.Max(0, relaxed[move.Position] + move.Mass);
        }

        var inner = new VerificationNode(relaxed, node.Draft, node.Candidates, node.Scratch)
        {
            DraftScale = node.DraftScale,
            JudgeScores = node.JudgeScores,
            TokenIds = node.TokenIds,
        };
        return MultiDraft!.Verify(inner, random);
    }

    // norm(max(0, p~ - q)): standard's residual, then the few positions p~ changed, in the residual's units (1 / TargetScale).
    private VerificationResult DrawRelaxedResidual(in VerificationNode node, int x, IRandomSource random)
    {
        var target = node.Target;
        double sp = node.TargetScale;
        Span<double> residual = node.Scratch[..target.Length];
        if (node.Draft.IsEmpty)
        {
            target.CopyTo(residual);
            residual[x] = 0;
            foreach (var move in _moves.AsSpan(0, _moveCount))
            {
                if (move.Position != x)
                {
                    residual[move.Position] = Math.Max(0, residual[move.Position] + move.Mass / sp);
                }
            }

            return VerificationResult.Recovered(random.NextCategorical(Distribution.Mass(residual) > 0 ? residual : target));
        }

        int blocks = Distribution.BlockCount(residual.Length);
        Span<double> blockSums = blocks <= 2048 ? stackalloc double[blocks] : new double[blocks];
        double ratio = node.DraftScale / sp;
        double mass = Distribution.PositivePart(target, node.Draft, ratio, residual, blockSums);
        foreach (var move in _moves.AsSpan(0, _moveCount))
        {
            int i = move.Position;
            double updated = Math.Max(0, target[i] + MovedTo(i) / sp - ratio * node.Draft[i]);
            double change = updated - residual[i];
            residual[i] = updated;
            blockSums[i / Distribution.Block] += change;
            mass += change;
        }

        return VerificationResult.Recovered(mass > 0 ? Distribution.SampleByBlocks(residual, blockSums, random) : random.NextCategorical(target));
    }
}
