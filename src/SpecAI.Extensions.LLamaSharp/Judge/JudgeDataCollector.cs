using Microsoft.Extensions.AI;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Collects training examples for a <see cref="JudgeHead"/>: from labelled responses (bad spans or per-token labels,
/// see <see cref="JudgeDataset"/>), or self-labelled from draft text. For automatic labels after AutoJudge see
/// <see cref="AutoJudgeLabeler"/>.
/// </summary>
public static class JudgeDataCollector
{
    /// <summary>
    /// Labelled examples: each response teacher-forced through the target after its prompt; a response token is
    /// acceptable unless its characters overlap a bad span. Rows whose response does not decode back to its text
    /// through the tokenizer, or that do not fit the context, are skipped and counted.
    /// </summary>
    /// <param name="teacher">The target.</param>
    /// <param name="rows">The labelled rows; rows with the same prompt share a group (<see cref="JudgeDataset.Groups"/>).</param>
    /// <param name="cancellationToken">Cancels between rows.</param>
    /// <returns>The examples and how many rows were skipped.</returns>
    public static (List<JudgeTokenExample> Examples, int SkippedRows) CollectLabelled(JudgeTeacher teacher, IReadOnlyList<JudgeLabelledResponse> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(rows);
        var examples = new List<JudgeTokenExample>();
        var groups = JudgeDataset.Groups(rows);
        int skipped = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (teacher.Examples(rows[i], groups[i]) is { } rowExamples)
            {
                examples.AddRange(rowExamples);
            }
            else
            {
                skipped++;
            }
        }

        return (examples, skipped);
    }

    /// <summary>Samples draft text after each prompt and returns self-labelled (hidden state, acceptable) examples.</summary>
    /// <param name="targetModelPath">Target GGUF.</param>
    /// <param name="draftModelPath">Draft GGUF (same vocabulary).</param>
    /// <param name="prompts">User messages to continue.</param>
    /// <param name="tokensPerPrompt">Draft tokens sampled per prompt.</param>
    /// <param name="acceptableProbability">Target probability at or above which a draft token is labelled acceptable.</param>
    /// <param name="cancellationToken">Cancels between prompts.</param>
    /// <returns>The examples (group = prompt index).</returns>
    public static async Task<List<JudgeTokenExample>> CollectAsync(
        string targetModelPath,
        string draftModelPath,
        IEnumerable<string> prompts,
        int tokensPerPrompt = 64,
        double acceptableProbability = 0.1,
        CancellationToken cancellationToken = default)
    {
        using var teacher = await JudgeTeacher.LoadAsync(targetModelPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await CollectSelfLabelledAsync(teacher, draftModelPath, prompts, tokensPerPrompt, acceptableProbability, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Self-labelled examples: text is sampled from the DRAFT model (temperature 1), and each drafted token is labelled
    /// acceptable when the target gives it at least <paramref name="acceptableProbability"/> there. A proxy: Judge
    /// Decoding trains on human or LLM labels of acceptable continuations; bring those through
    /// <see cref="CollectLabelled"/> when you have them.
    /// </summary>
    /// <param name="teacher">The target.</param>
    /// <param name="draftModelPath">Draft GGUF (same vocabulary).</param>
    /// <param name="prompts">User messages to continue.</param>
    /// <param name="tokensPerPrompt">Draft tokens sampled per prompt.</param>
    /// <param name="acceptableProbability">Target probability at or above which a draft token is labelled acceptable.</param>
    /// <param name="cancellationToken">Cancels between prompts.</param>
    /// <returns>The examples (group = prompt index).</returns>
    public static async Task<List<JudgeTokenExample>> CollectSelfLabelledAsync(
        JudgeTeacher teacher,
        string draftModelPath,
        IEnumerable<string> prompts,
        int tokensPerPrompt = 64,
        double acceptableProbability = 0.1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerPrompt, 1);

        // The draft model alone (Mode None) writes the text a draft would propose.
        using var drafter = await SpeculativeChatClient.CreateAsync(new SpeculativeChatClientOptions
        {
            TargetModelPath = draftModelPath,
            ContextSize = teacher.ContextSize,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (teacher.Fingerprint.VocabularySize != drafter.TargetSession.VocabularySize)
        {
            throw new IncompatibleDraftModelException(teacher.Fingerprint.ModelName, drafter.TargetSession.ModelName, "vocabulary sizes differ");
        }

        var examples = new List<JudgeTokenExample>();
        var p = new double[teacher.Fingerprint.VocabularySize];
        var processor = new LogitProcessor(new SamplingOptions());
        int group = 0;
        foreach (string text in prompts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            List<ChatMessage> messages = [new(ChatRole.User, text)];
            int[] prompt = teacher.PromptTokens(text);
            int[] sampled = await drafter.GenerateTokensAsync(messages, new ChatOptions { Temperature = 1, Seed = group, MaxOutputTokens = tokensPerPrompt }, cancellationToken).ConfigureAwait(false);
            int[] all = [.. prompt, .. sampled];
            if (sampled.Length == 0 || all.Length > teacher.ContextSize)
            {
                group++;
                continue;
            }

            int g = group++;
            teacher.Forward(all, prompt.Length - 1, (position, logits, hidden) =>
            {
                // Logits at position t - 1 say how likely token t is; the features are the hidden state at t itself.
                if (position >= prompt.Length)
                {
                    examples.Add(new JudgeTokenExample(hidden.ToArray(), p[all[position]] >= acceptableProbability, g));
                }

                processor.Process(logits, all.AsSpan(0, position + 1), 0, p);
            });
        }

        return examples;
    }
}
