using System.Runtime.InteropServices;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// The part of <see cref="ModelDraftSource"/> that differs when the draft's vocabulary is not the target's:
/// the draft's logits projected onto target ids (token drafting: padded and intersecting vocabularies), the
/// draft writing text in its own vocabulary (text drafting), and what the draft's KV cache keeps at commit.
/// </summary>
internal sealed class VocabularyDrafting
{
    private readonly VocabularyBridge _vocabulary;
    private readonly float[] _projected;
    private readonly double[] _textLogits;
    private readonly List<int> _proposed = new();
    private int[] _penaltyHistory = new int[64];

    public VocabularyDrafting(VocabularyBridge vocabulary)
    {
        _vocabulary = vocabulary;
        _projected = vocabulary.DraftsText ? [] : new float[vocabulary.Target.Count];
        _textLogits = vocabulary.DraftsText ? new double[vocabulary.Draft.Count] : [];
    }

    public bool DraftsText => _vocabulary.DraftsText;

    /// <summary>The draft's logits at target ids; shared tokens only (<see cref="VocabularyMap.ProjectLogits"/>). Valid until the next call.</summary>
    public ReadOnlySpan<float> Project(ReadOnlySpan<float> draftLogits)
    {
        _vocabulary.Map!.ProjectLogits(draftLogits, _projected);
        return _projected;
    }

    /// <summary>
    /// Readies a job whose committed tokens were just synchronised (<paramref name="count"/> draft tokens); returns
    /// whether it still drafts: a looked-up prefix is continued only when the draft has every token of it (text
    /// drafting never continues one), and the draft's tokens, which may outnumber the target's, must fit the
    /// request's share of the KV cache.
    /// </summary>
    public bool Prepare(DraftStep job, bool drafts, int count)
    {
        job.Bridge!.Drafted.Clear();
        var tree = job.Tree;
        for (int i = 0; i < job.Prefix && drafts; i++)
        {
            var node = tree.Nodes[tree.PathOf(0)[i]];
            node.DraftToken = DraftsText ? -1 : ToDraft(node.Token);
            drafts = node.DraftToken >= 0;
        }

        return drafts && count >= 1 && count + job.DraftLength * tree.BranchCount <= job.ContextLimit;
    }

    /// <summary>The draft id of a drafted target token (-1: the draft has none, so nothing is drafted below it).</summary>
    public int ToDraft(int targetToken) => _vocabulary.Map!.ToDraft(targetToken);

    /// <summary>Whether a text-drafting job's last drafted token should be decoded at <paramref name="depth"/> (it is text and the newest).</summary>
    public bool ContinuesText(DraftStep job, int depth)
    {
        var drafted = job.Bridge!.Drafted;
        return drafted.Count == depth && _vocabulary.Draft.IsText(drafted[^1]);
    }

    /// <summary>
    /// Text drafting: the draft's most likely next token in its own vocabulary, after the request's penalties (no
    /// logit bias or constraint: those name target ids). Greedy at every temperature: the target accepts a
    /// deterministic draft x with probability p(x), which the most likely token maximises when the draft
    /// resembles the target; any choice keeps the output lossless.
    /// </summary>
    public void DrawText(DraftStep job, ReadOnlySpan<float> draftLogits)
    {
        var bridge = job.Bridge!;
        var request = job.Request;
        var processor = bridge.DraftProcessor ??= new LogitProcessor(request.Processor.Options with { LogitBias = null });

        // The penalties read only the window's tail: the draft's history and what it drafted so far.
        int window = request.Processor.Options.PenaltyWindow;
        int fromHistory = Math.Min(job.History.Count, Math.Max(0, window - bridge.Drafted.Count));
        int length = fromHistory + bridge.Drafted.Count;
        if (_penaltyHistory.Length < length)
        {
            _penaltyHistory = new int[length];
        }

        for (int i = 0; i < fromHistory; i++)
        {
            _penaltyHistory[i] = job.History[job.History.Count - fromHistory + i];
        }

        bridge.Drafted.CopyTo(_penaltyHistory, fromHistory);
        processor.AdjustLogits(draftLogits, _penaltyHistory.AsSpan(0, length), 0, _textLogits);
        bridge.Drafted.Add(LogitProcessor.IndexOfMax(_textLogits));
    }

    /// <summary>Text drafting: the draft's text as target tokens, one deterministic branch in the tree.</summary>
    public void FinishText(DraftStep job)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        _proposed.Clear();
        _vocabulary.TextConverter!.Convert(job.Request.Committed, job.Bridge!.Drafted, job.DraftLength, _proposed);
        foreach (int token in _proposed)
        {
            job.Tree.Nodes[job.Tree.Extend(0, token)].DraftToken = -1;
        }

        job.Request.Statistics.RecordDraftOverhead(System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// After verification: the winner's draft sequence holds the draft tokens of the old committed ones plus what
    /// was drafted on its branch; it keeps the longest prefix that agrees with the draft tokens of the new
    /// committed ones.
    /// </summary>
    public void Commit(DraftStep job, int winnerBranch, ModelMemory memory)
    {
        var bridge = job.Bridge!;
        var history = bridge.Sync(job.Request.Committed, job.Request.Committed.Count);
        var slot = job.Slot;
        int valid = slot.CommonPrefix(history, history.Count);
        if (valid == slot.Cached.Count)
        {
            if (DraftsText)
            {
                for (int i = 0; i < job.DecodedDepth && valid < history.Count && history[valid] == bridge.Drafted[i]; i++)
                {
                    valid++;
                }
            }
            else if (job.Tree.BranchCount > winnerBranch)
            {
                foreach (int index in job.Tree.PathOf(winnerBranch))
                {
                    var node = job.Tree.Nodes[index];
                    if (node.Depth > job.DecodedDepth || node.DraftToken < 0 || valid >= history.Count || history[valid] != node.DraftToken)
                    {
                        break;
                    }

                    valid++;
                }
            }
        }

        memory.Commit(slot, winnerBranch, valid, CollectionsMarshal.AsSpan(history), drafted: job.DecodedDepth > 0);
    }
}
