using System.Runtime.InteropServices;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Engine;

/// <summary>The draft phase of a step: every request's draft sources grow its tree.</summary>
internal sealed partial class StepBatch
{
    /// <summary>
    /// Every request's sources draft in its order on its tree; a source several requests share (the draft model) drafts
    /// for all of them in one pass, once each of them has reached it.
    /// </summary>
    private void Draft()
    {
        _drafting.Clear();
        int maxLength = 0, rows = 0;
        bool modelDrafts = false, prefill = false;
        foreach (var request in _decoding)
        {
            if (!request.HasDrafter)
            {
                continue;
            }

            int length = request.StepDraftLength;
            _drafting.Add((request, request.BeginDrafting()));
            if (length > 0)
            {
                modelDrafts |= request.UsesDraftModel;
                maxLength = Math.Max(maxLength, length);
                rows += request.Tree.BranchCount;
            }
        }

        foreach (var (request, end) in _prefilling)
        {
            if (request.HasDrafter)
            {
                _drafting.Add((request, request.BeginDrafting(prefillTo: end)));
                prefill |= request.UsesDraftModel;
            }
        }

        if (_drafting.Count == 0)
        {
            return;
        }

        long started = _time.GetTimestamp();
        _nextSource.Clear();
        for (int i = 0; i < _drafting.Count; i++)
        {
            _nextSource.Add(0);
        }

        while (NextReadySource() is { } source)
        {
            _group.Clear();
            for (int i = 0; i < _drafting.Count; i++)
            {
                var sources = _drafting[i].Request.DraftSources;
                if (_nextSource[i] < sources.Count && ReferenceEquals(sources[_nextSource[i]], source))
                {
                    _group.Add(_drafting[i].Step);
                    _nextSource[i]++;
                }
            }

            source.DraftBatch(_group);
        }

        // The policy learns the draft model's cost per depth (a prompt chunk in the pass would blur it).
        if (maxLength > 0 && modelDrafts && !prefill)
        {
            _policy.RecordDraft(maxLength, rows, _time.GetElapsedTime(started));
        }
    }

    /// <summary>A source that is next for some request and not waiting further down another's list; null when all have drafted.</summary>
    private IDraftSource? NextReadySource()
    {
        bool pending = false;
        for (int i = 0; i < _drafting.Count; i++)
        {
            var sources = _drafting[i].Request.DraftSources;
            if (_nextSource[i] >= sources.Count)
            {
                continue;
            }

            pending = true;
            var candidate = sources[_nextSource[i]];
            bool ready = true;
            for (int j = 0; j < _drafting.Count && ready; j++)
            {
                var others = _drafting[j].Request.DraftSources;
                for (int k = _nextSource[j] + 1; k < others.Count; k++)
                {
                    ready &= !ReferenceEquals(others[k], candidate);
                }
            }

            if (ready)
            {
                return candidate;
            }
        }

        return pending ? throw new InvalidOperationException("Draft sources shared by several requests are listed in conflicting orders.") : null;
    }
}
