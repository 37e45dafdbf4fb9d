using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Decodes whole token sequences through one model sequence (id 0), reusing the longest cached prefix, and hands
/// out the outputs at the positions asked for. For collecting judge data and scoring text, not for serving.
/// </summary>
internal sealed class TeacherForcedSession
{
    private readonly IModelSession _session;
    private readonly List<int> _cached = new();
    private readonly DecodeBatch _batch = new();

    public TeacherForcedSession(IModelSession session)
    {
        _session = session;
    }

    public IModelSession Session => _session;

    /// <summary>Makes the cache hold <paramref name="tokens"/> and visits the outputs at positions <paramref name="outputsFrom"/> and later.</summary>
    /// <exception cref="ArgumentException">The sequence does not fit the context.</exception>
    public void Forward(IReadOnlyList<int> tokens, int outputsFrom, TokenOutputVisitor visit)
    {
        if (tokens.Count > _session.ContextSize)
        {
            throw new ArgumentException($"{tokens.Count} tokens do not fit the {_session.ContextSize}-token context of '{_session.ModelName}'.", nameof(tokens));
        }

        int common = 0;
        while (common < _cached.Count && common < tokens.Count && _cached[common] == tokens[common])
        {
            common++;
        }

        // Outputs are only available for positions decoded now: re-decode from the first one asked for.
        int start = Math.Min(common, Math.Max(0, outputsFrom));
        if (start < _cached.Count)
        {
            _session.RemoveTokens(0, start);
            _cached.RemoveRange(start, _cached.Count - start);
        }

        bool hidden = _session.ProvidesHiddenStates;
        for (int position = start; position < tokens.Count;)
        {
            int end = Math.Min(tokens.Count, position + _session.MaxBatchSize);
            _batch.Clear();
            for (int i = position; i < end; i++)
            {
                _batch.Add(tokens[i], i, 0, wantLogits: i >= outputsFrom);
            }

            _session.Decode(_batch);
            for (int i = position; i < end; i++)
            {
                _cached.Add(tokens[i]);
            }

            for (int i = Math.Max(position, outputsFrom); i < end; i++)
            {
                visit(i, _session.GetLogits(i - position), hidden ? _session.GetHiddenState(i - position) : default);
            }

            position = end;
        }
    }

    /// <summary>Forgets the cache.</summary>
    public void Reset()
    {
        _session.RemoveTokens(0, 0);
        _cached.Clear();
    }
}
