using System.Runtime.InteropServices;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// What a draft source needs to propose the drafts of one step. Made by the engine for each request and step; a
/// custom <see cref="IDraftSource"/> reads it and extends the step's <see cref="DraftTree"/>.
/// </summary>
public sealed class DraftRequest
{
    /// <summary>Creates the request of one step.</summary>
    /// <param name="committed">All committed tokens (prompt and generated); the last one is the tree's root.</param>
    /// <param name="generatedCount">How many of them were generated in this answer.</param>
    /// <param name="scheme">How candidates are drawn at each node.</param>
    /// <param name="processor">The sampling transforms (the same ones the target uses).</param>
    /// <param name="random">The request's random source.</param>
    /// <param name="statistics">Where to record draft costs.</param>
    internal DraftRequest(IReadOnlyList<int> committed, int generatedCount, DraftScheme scheme, LogitProcessor processor, IRandomSource random, SpeculationStatistics statistics)
    {
        Committed = committed;
        GeneratedCount = generatedCount;
        Scheme = scheme;
        Processor = processor;
        Random = random;
        Statistics = statistics;
    }

    /// <summary>All committed tokens (prompt and generated); the last one is the tree's root.</summary>
    public IReadOnlyList<int> Committed { get; }

    /// <summary>How many of the committed tokens were generated in this answer.</summary>
    public int GeneratedCount { get; }

    /// <summary>How candidates are drawn at each node.</summary>
    public DraftScheme Scheme { get; }

    /// <summary>The sampling transforms (the same ones the target uses); the draft model applies them to its logits.</summary>
    internal LogitProcessor Processor { get; }

    /// <summary>The request's random source: draw from it, never from a source of your own, so seeded answers repeat.</summary>
    public IRandomSource Random { get; }

    /// <summary>Where to record draft costs (<see cref="SpeculationStatistics.RecordDraftOverhead"/>).</summary>
    public SpeculationStatistics Statistics { get; }

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
