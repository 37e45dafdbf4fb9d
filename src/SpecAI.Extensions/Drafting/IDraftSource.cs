using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Drafting;

/// <summary>Proposes the draft tree of one step and learns which branch won.</summary>
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
}
