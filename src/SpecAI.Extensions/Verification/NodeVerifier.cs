using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Verifies one node of a draft tree from the target's and the draft's <see cref="TokenDistribution"/>: lays p and
/// q out side by side over the union of their supports, hands that to an <see cref="ISpeculativeVerifier"/>, and
/// maps the committed position back to a token id.
/// </summary>
/// <remarks>
/// <para>Layout. When both distributions are sparse (top-k / top-p / min-p, greedy) the positions are the union of
/// the two supports in ascending id order, followed by any candidate in neither (probability 0 on both sides):
/// every sum a verifier takes (residuals, K-SEQ's beta, the final draw) runs over that union, and a token outside
/// it has p = q = 0, so it contributes nothing and is never drawn. Otherwise (either side dense) the positions are
/// the token ids, a dense side is passed as its weights with its scale (<see cref="VerificationNode.TargetScale"/>,
/// lazy normalisation: no pass over the vocabulary to normalise it) and a sparse side is scattered into a zeroed
/// vocabulary-sized buffer. The verifiers are pure
/// functions of aligned (p, q) arrays, so their exactness proofs carry over unchanged; q is exactly the
/// distribution the draft sampled from, whatever its representation.</para>
/// <para>Holds buffers that grow once: one instance per request (or per engine), not thread-safe; no allocation per node.</para>
/// </remarks>
internal sealed class NodeVerifier
{
    private readonly int _vocabularySize;
    private int[] _tokens = [];
    private double[] _p = [];
    private double[] _q = [];
    private double[] _scratch = [];
    private double[] _denseP = [];
    private double[] _denseQ = [];
    private double[] _normalP = [];
    private double[] _normalQ = [];
    private int[] _positions = new int[16];

    /// <summary>Creates a verifier for distributions over <paramref name="vocabularySize"/> tokens.</summary>
    /// <param name="vocabularySize">The vocabulary's size, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is below 1.</exception>
    public NodeVerifier(int vocabularySize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        _vocabularySize = vocabularySize;
    }

    /// <summary>Verifies the candidates at one node.</summary>
    /// <param name="verifier">The rule.</param>
    /// <param name="target">Target distribution p at the node.</param>
    /// <param name="draft">The distribution q the candidates were drawn from; <see langword="null"/> for deterministic candidates.</param>
    /// <param name="candidates">One token id per draft alive at the node, in drafting order; may be empty.</param>
    /// <param name="random">The request's random source.</param>
    /// <param name="judgeScores">Per-candidate judge scores (judge decoding), or empty.</param>
    /// <returns>The committed token id and the accepted candidate, if any.</returns>
    /// <exception cref="ArgumentException">A distribution is over another vocabulary, or a candidate is not a token id.</exception>
    public VerificationResult Verify(ISpeculativeVerifier verifier, TokenDistribution target, TokenDistribution? draft, ReadOnlySpan<int> candidates, IRandomSource random, ReadOnlySpan<double> judgeScores = default)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(random);
        var layout = Align(target, draft, candidates);
        var node = new VerificationNode(layout.Target, layout.Draft, layout.Candidates, layout.Scratch)
        {
            JudgeScores = judgeScores,
            TargetScale = layout.TargetScale,
            DraftScale = layout.DraftScale,
            TokenIds = layout.Tokens,
        };
        var result = verifier.Verify(node, random);
        return new VerificationResult(layout.Tokens.IsEmpty ? result.Token : layout.Tokens[result.Token], result.AcceptedCandidate);
    }

    /// <summary>The optimal-acceptance diagnostic at one node (see <see cref="OptimalAcceptance"/>): the best acceptance any lossless verifier reaches for the draft law, and the one <paramref name="verifier"/> reaches.</summary>
    /// <param name="verifier">The rule.</param>
    /// <param name="target">Target distribution p.</param>
    /// <param name="draft">Draft distribution q.</param>
    /// <param name="candidates">The candidates (at least one).</param>
    /// <returns>Optimal and achieved acceptance.</returns>
    /// <exception cref="ArgumentException">A distribution is over another vocabulary, or a candidate is not a token id.</exception>
    public (double Optimal, double Achieved) MeasureAcceptance(ISpeculativeVerifier verifier, TokenDistribution target, TokenDistribution draft, ReadOnlySpan<int> candidates)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(draft);
        var layout = Align(target, draft, candidates);

        // The diagnostic's closed forms take probabilities: normalise lazily scaled weights first.
        var p = Normalised(layout.Target, layout.TargetScale, ref _normalP);
        var q = Normalised(layout.Draft, layout.DraftScale, ref _normalQ);
        return (OptimalAcceptance.Optimal(verifier.Scheme, p, q, layout.Candidates),
                OptimalAcceptance.Achieved(verifier, p, q, layout.Candidates, layout.Scratch));
    }

    private Layout Align(TokenDistribution target, TokenDistribution? draft, ReadOnlySpan<int> candidates)
    {
        ArgumentNullException.ThrowIfNull(target);
        Check(target, nameof(target));
        if (draft is not null)
        {
            Check(draft, nameof(draft));
        }

        foreach (int c in candidates)
        {
            if ((uint)c >= (uint)_vocabularySize)
            {
                throw new ArgumentException($"Candidate {c} is not a token id of the {_vocabularySize}-token vocabulary.", nameof(candidates));
            }
        }

        if (!target.IsSparse || draft is { IsSparse: false })
        {
            // Dense weights go as they are, with their scale (lazy normalisation); a sparse side is scattered (scale 1).
            var p = target.IsSparse ? Scatter(target, ref _denseP) : target.Weights;
            var q = draft is null ? ReadOnlySpan<double>.Empty : draft.IsSparse ? Scatter(draft, ref _denseQ) : draft.Weights;
            double targetScale = target.IsSparse ? 1.0 : target.Scale;
            double draftScale = draft is null || draft.IsSparse ? 1.0 : draft.Scale;
            return new Layout(p, q, candidates, Grow(ref _scratch, _vocabularySize), ReadOnlySpan<int>.Empty, targetScale, draftScale);
        }

        int count = Merge(target, draft, candidates.Length);
        if (_positions.Length < candidates.Length)
        {
            _positions = new int[Math.Max(candidates.Length, 2 * _positions.Length)];
        }

        int merged = count;
        for (int i = 0; i < candidates.Length; i++)
        {
            int position = _tokens.AsSpan(0, merged).BinarySearch(candidates[i]);
            if (position < 0)
            {
                // A deterministic candidate outside both supports: an extra position with p = q = 0.
                position = _tokens.AsSpan(merged, count - merged).IndexOf(candidates[i]);
                position = position >= 0 ? merged + position : count++;
                (_tokens[position], _p[position], _q[position]) = (candidates[i], 0, 0);
            }

            _positions[i] = position;
        }

        return new Layout(
            _p.AsSpan(0, count), draft is null ? ReadOnlySpan<double>.Empty : _q.AsSpan(0, count),
            _positions.AsSpan(0, candidates.Length), Grow(ref _scratch, count), _tokens.AsSpan(0, count), 1.0, 1.0);
    }

    // Merges the two ascending supports into _tokens/_p/_q (room for `extra` more entries); returns the union's size.
    private int Merge(TokenDistribution target, TokenDistribution? draft, int extra)
    {
        ReadOnlySpan<int> a = target.Support, b = draft is null ? ReadOnlySpan<int>.Empty : draft.Support;
        ReadOnlySpan<double> pa = target.Weights, qb = draft is null ? ReadOnlySpan<double>.Empty : draft.Weights;
        double sa = target.Scale, sb = draft?.Scale ?? 1.0;
        int capacity = a.Length + b.Length + extra;
        if (_tokens.Length < capacity)
        {
            capacity = Math.Max(capacity, 2 * _tokens.Length);
            _tokens = new int[capacity];
            _p = new double[capacity];
            _q = new double[capacity];
        }

        int i = 0, j = 0, n = 0;
        while (i < a.Length || j < b.Length)
        {
            int x = i < a.Length ? a[i] : int.MaxValue;
            int y = j < b.Length ? b[j] : int.MaxValue;
            _tokens[n] = Math.Min(x, y);
            _p[n] = x <= y ? pa[i++] * sa : 0;
            _q[n] = y <= x ? qb[j++] * sb : 0;
            n++;
        }

        return n;
    }

    private static ReadOnlySpan<double> Normalised(ReadOnlySpan<double> weights, double scale, ref double[] buffer)
    {
        if (scale == 1.0 || weights.IsEmpty)
        {
            return weights;
        }

        var normalised = Grow(ref buffer, weights.Length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(weights, scale, normalised);
        return normalised;
    }

    private static ReadOnlySpan<double> Scatter(TokenDistribution distribution, ref double[] buffer)
    {
        var dense = Grow(ref buffer, distribution.VocabularySize);
        distribution.CopyTo(dense);
        return dense;
    }

    private static Span<double> Grow(ref double[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new double[length];
        }

        return buffer.AsSpan(0, length);
    }

    private void Check(TokenDistribution distribution, string parameter)
    {
        if (distribution.VocabularySize != _vocabularySize)
        {
            throw new ArgumentException($"The distribution covers {distribution.VocabularySize} tokens; this verifier was made for {_vocabularySize}.", parameter);
        }
    }

    private readonly ref struct Layout(
        ReadOnlySpan<double> target, ReadOnlySpan<double> draft, ReadOnlySpan<int> candidates, Span<double> scratch, ReadOnlySpan<int> tokens,
        double targetScale, double draftScale)
    {
        public ReadOnlySpan<double> Target { get; } = target;

        public ReadOnlySpan<double> Draft { get; } = draft;

        public ReadOnlySpan<int> Candidates { get; } = candidates;

        public Span<double> Scratch { get; } = scratch;

        /// <summary>Token id of each position; empty when positions are token ids.</summary>
        public ReadOnlySpan<int> Tokens { get; } = tokens;

        public double TargetScale { get; } = targetScale;

        public double DraftScale { get; } = draftScale;
    }
}
