using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>What a draft source needs to propose the drafts of one step.</summary>
/// <param name="Committed">All committed tokens (prompt and generated); the last one is the tree's root.</param>
/// <param name="GeneratedCount">How many of them were generated in this answer.</param>
/// <param name="Scheme">How candidates are drawn at each node.</param>
/// <param name="Processor">The sampling transforms (the same ones the target uses).</param>
/// <param name="Random">The request's random source.</param>
/// <param name="Statistics">Where to record draft costs.</param>
public sealed record DraftRequest(
    List<int> Committed,
    int GeneratedCount,
    DraftScheme Scheme,
    LogitProcessor Processor,
    IRandomSource Random,
    SpeculationStatistics Statistics);
