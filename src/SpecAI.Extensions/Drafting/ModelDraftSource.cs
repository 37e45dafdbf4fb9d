using System.Diagnostics;
using System.Runtime.InteropServices;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Drafts with a small model. The engine drafts for every running request at once: one draft-model batch
/// catches every request up to its committed tokens, then one batch per depth carries every request's
/// nodes at that depth (a node shared by several branches is decoded once with all their sequence ids).
/// </summary>
/// <remarks>
/// At temperature 0 the draft law is one-hot, so a <see cref="DraftScheme.TopK"/> or
/// <see cref="DraftScheme.GreedyDraft"/> node would offer one candidate only. There the candidates are the
/// tokens ranked by the draft's adjusted logits (<see cref="LogitProcessor.AdjustLogits"/>: bias, penalties,
/// constraint), greedy token first, and the node is marked deterministic: greedy verification is lossless
/// for any deterministic choice of drafts. When the tree already holds a single-branch prefix (drafted by
/// an earlier source, see <see cref="CombinedDraftSource"/>), the model decodes that prefix with the
/// catch-up rows and drafts the rest of the length below it.
/// <para>With a <see cref="VocabularyBridge"/> the draft may have its own vocabulary: padded and intersecting
/// vocabularies draft in the target's token space (the draft's logits projected onto target ids, then the
/// request's own transforms), text drafting writes text that becomes a deterministic target draft; either way the
/// draft's KV cache holds its own tokens for the committed ones (see <see cref="VocabularyBridge"/>).</para>
/// </remarks>
internal sealed partial class ModelDraftSource : IDraftSource
{
    private readonly ModelMemory _memory;
    private readonly VocabularyDrafting? _mapped;
    private readonly DecodeBatch _batch = new();
    private readonly List<(DraftStep Job, int Node)> _rows = new();
    private readonly List<int> _sequences = new();
    private readonly DraftStep[] _single = new DraftStep[1];
    private readonly List<DraftStep> _pass = new();
    private int[] _candidates = new int[16];
    private double[] _scratch = Array.Empty<double>();
    private SequenceSlot? _singleSlot;
    private DraftTokenBridge? _singleBridge;
    private IReadOnlyList<int>? _singleCommitted;
    private int _depth;

    /// <summary>Creates a draft source over a draft-model session.</summary>
    /// <param name="session">The draft model.</param>
    /// <param name="vocabulary">How its vocabulary relates to the target's; null when it is the target's.</param>
    /// <exception cref="ArgumentException">The bridge describes a vocabulary of another size than the session's.</exception>
    public ModelDraftSource(IModelSession session, VocabularyBridge? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (vocabulary is not null && vocabulary.Draft.Count != session.VocabularySize)
        {
            throw new ArgumentException($"The vocabulary bridge describes a draft of {vocabulary.Draft.Count} tokens, but '{session.ModelName}' has {session.VocabularySize}.", nameof(vocabulary));
        }

        _memory = new ModelMemory(session);
        Vocabulary = vocabulary;
        _mapped = vocabulary is { IsMapped: true } ? new VocabularyDrafting(vocabulary) : null;
    }

    /// <summary>The draft model's session.</summary>
    public IModelSession Session => _memory.Session;

    /// <summary>How the draft's vocabulary relates to the target's; null when none was given (identical).</summary>
    public VocabularyBridge? Vocabulary { get; }

    /// <summary>Whether the draft writes text that is re-tokenised for the target (one deterministic branch per step).</summary>
    internal bool DraftsText => _mapped?.DraftsText == true;

    /// <summary>The draft model's sequences (one slot per request).</summary>
    internal ModelMemory Memory => _memory;

    /// <inheritdoc />
    /// <remarks>This entry point drafts for one conversation at a time; the engine drafts for all its requests in one pass.</remarks>
    /// <exception cref="InvalidOperationException">The tree holds a drafted prefix and more than one branch.</exception>
    public void Draft(DraftRequest request, DraftTree tree, int draftLength)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tree);
        // Another conversation gets its own draft-token list (its KV cache keeps whatever prefix still agrees).
        (_singleCommitted, _singleBridge) = ReferenceEquals(_singleCommitted, request.Committed) ? (_singleCommitted, _singleBridge) : (request.Committed, CreateBridge());

        var history = (IReadOnlyList<int>?)_singleBridge?.Sync(request.Committed, request.Committed.Count) ?? request.Committed;
        _singleSlot ??= _memory.Acquire(history, history.Count - 1);
        _single[0] = new DraftStep(request, tree, _singleSlot, Math.Min(draftLength, (Session.ContextSize - history.Count) / tree.BranchCount)) { Bridge = _singleBridge, ContextLimit = Session.ContextSize };
        DraftAll(_single);
    }

    /// <inheritdoc />
    public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        if (_single[0] is { } job)
        {
            Keep(job, winnerBranch, pathLength, committed);
            _single[0] = null!;
        }
    }

    /// <inheritdoc />
    public void Reset() => _memory.Reset();

    /// <summary>A request's draft-token list when the vocabularies differ; null when they are identical.</summary>
    internal DraftTokenBridge? CreateBridge() => _mapped is null ? null : Vocabulary!.CreateTokenBridge();

    /// <inheritdoc />
    /// <remarks>
    /// The engine's draft model drafts for all the requests that hold its sequences in one batch per depth (and catches prompt
    /// chunks up in the same batches); a step without such sequences (the source used on its own) goes through <see cref="Draft"/>,
    /// one conversation at a time.
    /// </remarks>
    public void DraftBatch(IReadOnlyList<DraftStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _pass.Clear();
        foreach (var step in steps)
        {
            if (step.HasSlot && (step.DraftLength > 0 || step.PrefillTo > 0))
            {
                step.InModelPass = true;
                _pass.Add(step);
            }
            else if (!step.HasSlot && step.DraftLength > 0)
            {
                Draft(step.Request, step.Tree, step.DraftLength);
            }
        }

        if (_pass.Count > 0)
        {
            DraftAll(_pass);
        }
    }

    /// <inheritdoc />
    /// <remarks>Keeps the branch the target followed, trimmed to what is committed, in the request's sequences.</remarks>
    public void Commit(DraftStep step, int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.InModelPass && step.DraftLength > 0)
        {
            Keep(step, winnerBranch, pathLength, committed);
        }
        else if (!step.HasSlot)
        {
            Commit(winnerBranch, pathLength, committed);
        }
    }

    /// <summary>Keeps the branch the target followed, trimmed to what is committed, in the job's slot.</summary>
    private void Keep(DraftStep job, int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
        if (job.Bridge is not null)
        {
            _mapped!.Commit(job, winnerBranch, _memory);
            return;
        }

        // The winner's sequence holds the committed prefix plus its drafted nodes down to the decoded depth.
        int valid = Math.Min(committed.Length, job.Slot.Cached.Count + Math.Min(pathLength, job.DecodedDepth));
        _memory.Commit(job.Slot, winnerBranch, valid, committed, drafted: job.DecodedDepth > 0, job.Request.Statistics);
    }
}
