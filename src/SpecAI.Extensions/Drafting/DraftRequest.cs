using System.Runtime.InteropServices;
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
    IReadOnlyList<int> Committed,
    int GeneratedCount,
    DraftScheme Scheme,
    LogitProcessor Processor,
    IRandomSource Random,
    SpeculationStatistics Statistics)
{
    /// <summary>The committed tokens as one span (no copy when they are held in a list or an array, as the engine's are).</summary>
    internal ReadOnlySpan<int> CommittedSpan => Committed switch
    {
        List<int> list => CollectionsMarshal.AsSpan(list),
        int[] array => array,
        _ => Committed.ToArray(),
    };

    /// <summary>
    /// The committed tokens as a list a drafter may extend for a moment and trim back (the draft path when it applies
    /// penalties): the engine's own list, or a copy when the request was made from another kind of list.
    /// </summary>
    internal List<int> CommittedList => Committed as List<int> ?? [.. Committed];
}
