namespace SpecAI.Extensions.Verification;

/// <summary>What a verifier sees at one node of the draft tree.</summary>
public readonly ref struct VerificationNode
{
    /// <summary>Creates a node.</summary>
    /// <param name="target">Target distribution p at the node (after the sampling transforms); weights when <see cref="TargetScale"/> is set.</param>
    /// <param name="draft">Draft distribution q the candidates were drawn from (after the same transforms); weights when <see cref="DraftScale"/> is set.</param>
    /// <param name="candidates">One token per draft alive at this node, in drafting order; may be empty.</param>
    /// <param name="scratch">Caller-owned buffer of the vocabulary's size for residuals.</param>
    public VerificationNode(ReadOnlySpan<double> target, ReadOnlySpan<double> draft, ReadOnlySpan<int> candidates, Span<double> scratch)
    {
        Target = target;
        Draft = draft;
        Candidates = candidates;
        Scratch = scratch;
        JudgeScores = default;
        TargetScale = 1.0;
        DraftScale = 1.0;
    }

    /// <summary>Target distribution p at the node.</summary>
    public ReadOnlySpan<double> Target { get; }

    /// <summary>Draft distribution q at the node; empty when the candidates are deterministic (one-hot q per candidate).</summary>
    public ReadOnlySpan<double> Draft { get; }

    /// <summary>One token per draft alive at the node, in drafting order (duplicates are separate samples).</summary>
    public ReadOnlySpan<int> Candidates { get; }

    /// <summary>A buffer of the vocabulary's size the verifier may overwrite.</summary>
    public Span<double> Scratch { get; }

    /// <summary>Per-candidate judge scores in [0, 1] (judge decoding only); empty otherwise.</summary>
    public ReadOnlySpan<double> JudgeScores { get; init; }

    /// <summary>
    /// Factor that turns <see cref="Target"/> into probabilities: p(x) = Target[x] x TargetScale (1 by default; the
    /// reciprocal of the weights' sum when the target is lazily normalised, see <c>TokenDistribution</c>).
    /// </summary>
    public double TargetScale { get; init; }

    /// <summary>Factor that turns <see cref="Draft"/> into probabilities: q(x) = Draft[x] x DraftScale (1 by default).</summary>
    public double DraftScale { get; init; }

    /// <summary>Token id of each position when the positions are not token ids (a sparse layout); empty when they are.</summary>
    public ReadOnlySpan<int> TokenIds { get; init; }
}
