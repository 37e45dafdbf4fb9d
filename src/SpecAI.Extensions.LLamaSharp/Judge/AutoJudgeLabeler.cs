using System.Numerics.Tensors;
using LLama.Common;
using SpecAI.Extensions.Backend;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Automatic judge labels after AutoJudge (Garipov et al. 2025, arXiv:2504.20039): the target answers each prompt
/// greedily; the draft, teacher-forced on that answer, proposes its own greedy token at every position; at each
/// mismatch a pluggable <see cref="IJudgeEquivalenceCheck"/> decides whether the draft token leaves the answer
/// unchanged (acceptable) or not. The features are the target's hidden state with the draft token in place.
/// </summary>
/// <remarks>
/// The paper searches semi-greedily over whole answers and compares final task answers; the default check here is
/// local (the next N tokens of the target's continuation must agree), which suits open-ended text without a
/// checkable answer. Plug in a task check when there is one.
/// </remarks>
public static class AutoJudgeLabeler
{
    /// <summary>Mines labelled mismatches.</summary>
    /// <param name="teacher">The target.</param>
    /// <param name="draftModelPath">Draft GGUF (same vocabulary).</param>
    /// <param name="prompts">User messages to answer.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="cancellationToken">Cancels between prompts.</param>
    /// <returns>The examples and counts.</returns>
    /// <exception cref="IncompatibleDraftModelException">The draft's vocabulary size differs from the target's.</exception>
    public static async Task<AutoJudgeResult> CollectAsync(JudgeTeacher teacher, string draftModelPath, IReadOnlyList<string> prompts, AutoJudgeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentException.ThrowIfNullOrEmpty(draftModelPath);
        ArgumentNullException.ThrowIfNull(prompts);
        options ??= new AutoJudgeOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TokensPerPrompt, 1);
        var check = options.EquivalenceCheck ?? new GreedyContinuationEquivalence(options.ContinuationTokens);
        var parameters = new ModelParams(draftModelPath)
        {
            ContextSize = (uint)teacher.ContextSize,
            BatchSize = (uint)Math.Min(teacher.ContextSize, 512),
            UBatchSize = (uint)Math.Min(teacher.ContextSize, 512),
            SeqMax = 1,
        };
        if (options.Threads > 0)
        {
            parameters.Threads = options.Threads;
            parameters.BatchThreads = options.Threads;
        }

        using var draftSession = await LLamaModelSession.LoadAsync(draftModelPath, parameters, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (draftSession.VocabularySize != teacher.Fingerprint.VocabularySize)
        {
            throw new IncompatibleDraftModelException(teacher.Fingerprint.ModelName, draftSession.ModelName, $"vocabulary sizes differ ({teacher.Fingerprint.VocabularySize} vs {draftSession.VocabularySize})");
        }

        var draft = new TeacherForcedSession(draftSession);
        var examples = new List<JudgeTokenExample>();
        int positions = 0, mismatches = 0, equivalent = 0;
        for (int group = 0; group < prompts.Count; group++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[] prompt = teacher.PromptTokens(prompts[group]);
            if (prompt.Length + 1 >= teacher.ContextSize)
            {
                continue;
            }

            var answer = teacher.Continue(prompt, Math.Min(options.TokensPerPrompt, teacher.ContextSize - prompt.Length - 1));
            int[] all = [.. prompt, .. answer];

            // The draft's greedy token at each answer position, teacher-forced on the target's answer.
            var proposals = new int[answer.Count];
            draft.Forward(all[..^1], prompt.Length - 1, (position, logits, _) => proposals[position - (prompt.Length - 1)] = TensorPrimitives.IndexOfMax(logits));
            positions += answer.Count;
            for (int t = 0; t < answer.Count; t++)
            {
                if (proposals[t] == answer[t])
                {
                    continue;
                }

                mismatches++;
                var context = all[..(prompt.Length + t)];
                float[]? hidden = null;
                teacher.Forward([.. context, proposals[t]], context.Length, (_, _, h) => hidden = h.ToArray());
                var mismatch = new JudgeMismatch(context, answer[t], proposals[t], answer.Skip(t + 1).ToArray());
                bool acceptable = check.IsEquivalent(mismatch, teacher);
                if (acceptable)
                {
                    equivalent++;
                }

                examples.Add(new JudgeTokenExample(hidden!, acceptable, group));
            }
        }

        return new AutoJudgeResult(examples, positions, mismatches, equivalent);
    }
}
