namespace SpecAI.Extensions.Drafting;

/// <summary>How the candidate tokens at one draft-tree node are drawn from the draft distribution q.</summary>
/// <remarks>A verifier is lossless only together with the scheme it was proven for.</remarks>
public enum DraftScheme
{
    /// <summary>Each candidate is an independent sample from q (with replacement; duplicates allowed).</summary>
    Independent,

    /// <summary>Candidates are sampled from q one after another without replacement (all distinct).</summary>
    WithoutReplacement,

    /// <summary>The n most likely tokens of q, deterministically (ties: lowest id).</summary>
    TopK,

    /// <summary>The n-1 most likely tokens of q deterministically, plus one sampled from q restricted to the rest.</summary>
    GreedyDraft,
}
