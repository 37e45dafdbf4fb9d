namespace SpecAI.Extensions;

/// <summary>Which rule decides what to keep of the drafted tokens.</summary>
public enum VerifierKind
{
    /// <summary>Standard speculative sampling (Leviathan et al. 2023; Chen et al. 2023); one draft per step. Lossless.</summary>
    Standard,

    /// <summary>SpecTr K-SEQ (Sun et al. 2023) over k i.i.d. drafts. Lossless.</summary>
    KSeq,

    /// <summary>Recursive rejection sampling with replacement (SpecInfer). Lossless.</summary>
    RecursiveRejection,

    /// <summary>Recursive rejection sampling over drafts drawn without replacement. Lossless.</summary>
    RecursiveRejectionWithoutReplacement,

    /// <summary>Deterministic top-k drafts verified with one-hot draft laws (EAGLE-2 style). Lossless.</summary>
    TopK,

    /// <summary>Greedy draft sampling: top n-1 plus one sampled draft (Hu et al., "Towards Optimal Multi-draft Speculative Decoding"). Lossless.</summary>
    GreedyDraft,

    /// <summary>Typical acceptance (Medusa). LOSSY: trades exactness for acceptance.</summary>
    Typical,

    /// <summary>
    /// LANTERN relaxed acceptance over latent neighbourhoods (Jang et al., ICLR 2025). LOSSY with a bound: each committed
    /// token's law is within total-variation distance delta of the target's; delta = 0 is <see cref="Standard"/>.
    /// </summary>
    Lantern,
}
