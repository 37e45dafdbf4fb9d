using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.Superposed;

/// <summary>
/// Runs Superposed Decoding on one sequence of the target's KV cache: prefill the prompt (reusing a cached prefix),
/// then one pass per position whose input is the superposition of the k drafts' latest token embeddings
/// (Shen et al., NeurIPS 2024, arXiv:2405.18400). Afterwards the superposed positions are removed and the prompt
/// stays cached, so the next keystroke's prompt decodes only its new tail.
/// </summary>
internal static class SuperposedRunner
{
    public static SuperposedResult Run(ModelMemory memory, IReadOnlyList<int> prompt, SuperposedSettings settings, CancellationToken cancellationToken)
    {
        var session = memory.Session;
        if (session is not IEmbeddingInputSession embeddings)
        {
            throw new EmbeddingInputNotSupportedException($"'{session.ModelName}' does not take input embeddings; Superposed Decoding needs them.");
        }

        if (prompt.Count + settings.MaxTokens > session.ContextSize)
        {
            throw new ArgumentException($"A prompt of {prompt.Count} tokens and {settings.MaxTokens} suggestion tokens do not fit the context of {session.ContextSize}.", nameof(prompt));
        }

        if (memory.AvailableSequences == 0)
        {
            throw new RequestQueueFullException("Every sequence of the KV cache is in use; try again later.");
        }

        int width = embeddings.EmbeddingLength;
        var search = new SuperposedSearch(prompt.ToArray(), session.VocabularySize, settings.Suggestions, settings.StopTokens, settings.Alpha, settings.Temperature);
        var slot = memory.Acquire(prompt, prompt.Count - 1);
        int cached = slot.Cached.Count;
        bool keep = false;
        try
        {
            search.Step(session.GetLogits(Prefill(memory, slot, prompt)));
            int passes = 0;
            var weights = new double[settings.Suggestions];
            var input = new float[width];
            var row = new float[width];
            for (int position = prompt.Count; passes < settings.MaxTokens - 1 && search.AnyRunning; position++, passes++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                search.SuperpositionWeights(weights);
                Array.Clear(input);
                for (int d = 0; d < weights.Length; d++)
                {
                    if (weights[d] == 0)
                    {
                        continue;
                    }

                    embeddings.TokenEmbedding(search.LastToken(d), row);
                    float w = (float)weights[d];
                    for (int i = 0; i < width; i++)
                    {
                        input[i] += w * row[i];
                    }
                }

                embeddings.DecodeEmbedding(input, slot.Sequence, position);
                search.Step(session.GetLogits(0));
            }

            // The superposed positions are no conversation's tokens: drop them, keep the prompt for reuse.
            keep = session.RemoveTokens(slot.Sequence, prompt.Count);
            var suggestions = search.RankedDrafts()
                .Select(d => new SuperposedSuggestion(search.Tokens(d).ToArray(), search.Score(d), search.ModelLogProbability(d), search.IsFinished(d)))
                .ToArray();
            return new SuperposedResult(suggestions, prompt.Count, cached, passes);
        }
        finally
        {
            if (!keep)
            {
                memory.Clear(slot);
            }

            memory.Release(slot, keep);
        }
    }

    /// <summary>Decodes the prompt's uncached tail in batches with logits at its last token; returns that token's index in the last batch.</summary>
    private static int Prefill(ModelMemory memory, SequenceSlot slot, IReadOnlyList<int> prompt)
    {
        var session = memory.Session;
        var batch = new DecodeBatch();
        int start = slot.Cached.Count;
        int last = 0;
        while (start < prompt.Count)
        {
            int end = Math.Min(prompt.Count, start + session.MaxBatchSize);
            batch.Clear();
            for (int i = start; i < end; i++)
            {
                batch.Add(prompt[i], i, slot.Sequence, wantLogits: i == prompt.Count - 1);
            }

            session.Decode(batch);
            for (int i = start; i < end; i++)
            {
                slot.Cached.Add(prompt[i]);
            }

            last = end - 1 - start;
            start = end;
        }

        return last;
    }
}
