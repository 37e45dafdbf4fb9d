using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Proposes the draft trees of a step and hears every commit: the one drafting contract of the engine. The draft
/// model (<c>ModelDraftSource</c>, also across vocabularies), prompt lookup, predictions and sources of your
/// own (<see cref="Engine.GenerationSettings.DraftSource"/>) all implement it.
/// </summary>
/// <remarks>
/// The engine calls <see cref="DraftBatch"/> once per step with every request the source drafts for (a source shared by
/// several requests, like the draft model, drafts for all of them in one pass; a request's own source gets its one step),
/// then, after verification, <see cref="Commit(DraftStep, int, int, ReadOnlySpan{int})"/> for each of those requests, every step,
/// whatever drafted. A request's sources draft in order on the same tree: a later one extends what an earlier one proposed.
/// The single-request members (<see cref="Draft"/>, <see cref="Commit(int, int, ReadOnlySpan{int})"/>) are what the default
/// batched members call, so a simple source implements only those.
/// </remarks>
public interface IDraftSource
{
    /// <summary>Fills <paramref name="tree"/> (already reset to the last committed token and the branch count) with drafts of up to <paramref name="draftLength"/> tokens.</summary>
    /// <param name="request">The committed tokens and how to draw.</param>
    /// <param name="tree">The tree to fill.</param>
    /// <param name="draftLength">Most tokens per branch.</param>
    void Draft(DraftRequest request, DraftTree tree, int draftLength);

    /// <summary>Told after verification: which branch the committed tokens followed and how many tokens are now committed.</summary>
    /// <param name="winnerBranch">The branch whose path was followed (0 when none).</param>
    /// <param name="pathLength">How many committed tokens of this step lie on that branch's path.</param>
    /// <param name="committed">All committed tokens.</param>
    void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed);

    /// <summary>Forgets any cached state (new conversation, or after an error).</summary>
    void Reset();

    /// <summary>Drafts for every request of a step that this source serves, in one pass.</summary>
    /// <param name="steps">One step per request; a step with <see cref="DraftStep.DraftLength"/> 0 drafts nothing.</param>
    /// <remarks>By default one <see cref="Draft"/> per step that drafts.</remarks>
    void DraftBatch(IReadOnlyList<DraftStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        foreach (var step in steps)
        {
            if (step.DraftLength > 0)
            {
                Draft(step.Request, step.Tree, step.DraftLength);
            }
        }
    }

    /// <summary>Told after every step's verification, for each request it serves, whether or not anything was drafted.</summary>
    /// <param name="step">The request's step (as given to <see cref="DraftBatch"/>).</param>
    /// <param name="winnerBranch">The branch whose path was followed (0 when none).</param>
    /// <param name="pathLength">How many committed tokens of this step lie on that branch's path.</param>
    /// <param name="committed">All committed tokens.</param>
    /// <remarks>By default <see cref="Commit(int, int, ReadOnlySpan{int})"/>.</remarks>
    void Commit(DraftStep step, int winnerBranch, int pathLength, ReadOnlySpan<int> committed) => Commit(winnerBranch, pathLength, committed);
}
