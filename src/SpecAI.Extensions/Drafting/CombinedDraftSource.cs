namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Drafts with a first source (prompt lookup), then lets a second source (the draft model) fill the rest
/// of the draft length below what the first one proposed, on a single branch.
/// </summary>
/// <remarks>
/// The second source must continue an existing prefix: <see cref="ModelDraftSource"/> decodes the looked-up
/// tokens in one batch and drafts below them. The looked-up positions carry a one-hot q (no distribution
/// rented), the model-drafted positions the model's q, so each position is verified against the law its
/// token was really drawn from.
/// </remarks>
internal sealed class CombinedDraftSource : IDraftSource
{
    /// <summary>Creates a combined source.</summary>
    /// <param name="first">Drafts first (for example <see cref="PromptLookupDraftSource"/>).</param>
    /// <param name="rest">Extends branch 0 below the first source's drafts (for example <see cref="ModelDraftSource"/>).</param>
    public CombinedDraftSource(IDraftSource first, IDraftSource rest)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(rest);
        First = first;
        Rest = rest;
    }

    /// <summary>The source that drafts first.</summary>
    public IDraftSource First { get; }

    /// <summary>The source that fills the rest of the draft length.</summary>
    public IDraftSource Rest { get; }

    /// <inheritdoc />
    public void Draft(DraftRequest request, DraftTree tree, int draftLength)
    {
        First.Draft(request, tree, draftLength);
        Rest.Draft(request, tree, draftLength);
    }

    /// <inheritdoc />
    public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        First.Commit(winnerBranch, pathLength, committed);
        Rest.Commit(winnerBranch, pathLength, committed);
    }

    /// <inheritdoc />
    public void DraftBatch(IReadOnlyList<DraftStep> steps)
    {
        First.DraftBatch(steps);
        Rest.DraftBatch(steps);
    }

    /// <inheritdoc />
    public void Commit(DraftStep step, int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        First.Commit(step, winnerBranch, pathLength, committed);
        Rest.Commit(step, winnerBranch, pathLength, committed);
    }

    /// <inheritdoc />
    public void Reset()
    {
        First.Reset();
        Rest.Reset();
    }
}
