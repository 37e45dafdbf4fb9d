using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Collects training examples for a <see cref="JudgeHead"/> from a model pair: text is sampled from the DRAFT
/// model, and each drafted token gets the target's final hidden state at that token as features.
/// </summary>
/// <remarks>
/// Labels are a self-labelled proxy: a token is "acceptable" when the target gives it at least
/// <c>acceptableProbability</c> (default 0.1) at that position. Judge Decoding trains on human or LLM labels of
/// acceptable continuations; bring your own labels through <see cref="JudgeTrainer"/> when you have them.
/// </remarks>
public static class JudgeDataCollector
{
    /// <summary>Samples draft text after each prompt and returns (hidden state, acceptable) examples.</summary>
    /// <param name="targetModelPath">Target GGUF.</param>
    /// <param name="draftModelPath">Draft GGUF (same vocabulary).</param>
    /// <param name="prompts">User messages to continue.</param>
    /// <param name="tokensPerPrompt">Draft tokens sampled per prompt.</param>
    /// <param name="acceptableProbability">Target probability at or above which a draft token is labelled acceptable.</param>
    /// <param name="cancellationToken">Cancels between prompts.</param>
    /// <returns>The examples.</returns>
    public static async Task<List<(float[] Hidden, bool Acceptable)>> CollectAsync(
        string targetModelPath,
        string draftModelPath,
        IEnumerable<string> prompts,
        int tokensPerPrompt = 64,
        double acceptableProbability = 0.1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerPrompt, 1);

        // The draft model alone (Mode None) writes the text a draft would propose.
        using var drafter = await SpeculativeChatClient.CreateAsync(new SpeculativeChatClientOptions
        {
            TargetModelPath = draftModelPath,
            ContextSize = 2048,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var target = await LLamaModelSession.LoadAsync(targetModelPath, new ModelParams(targetModelPath)
        {
            ContextSize = 2048,
            BatchSize = 2048,
            SeqMax = 1,
            Embeddings = true,
            PoolingType = LLamaPoolingType.None,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (target.VocabularySize != drafter.TargetSession.VocabularySize)
        {
            throw new IncompatibleDraftModelException(target.ModelName, drafter.TargetSession.ModelName, "vocabulary sizes differ");
        }

        var examples = new List<(float[], bool)>();
        var p = new double[target.VocabularySize];
        var processor = new LogitProcessor(new SamplingOptions());
        int seed = 0;
        foreach (string text in prompts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            List<ChatMessage> messages = [new(ChatRole.User, text)];
            int[] prompt = drafter.TokenizePrompt(messages, null);
            int[] sampled = await drafter.GenerateTokensAsync(messages, new ChatOptions { Temperature = 1, Seed = seed++, MaxOutputTokens = tokensPerPrompt }, cancellationToken).ConfigureAwait(false);
            int[] all = [.. prompt, .. sampled];
            if (all.Length > target.ContextSize || all.Length > target.MaxBatchSize)
            {
                continue;
            }

            target.RemoveTokens(0, 0);
            var batch = new DecodeBatch();
            for (int t = 0; t < all.Length; t++)
            {
                batch.Add(all[t], t, 0, wantLogits: t >= prompt.Length - 1);
            }

            target.Decode(batch);
            for (int t = prompt.Length; t < all.Length; t++)
            {
                processor.Process(target.GetLogits(t - 1), all.AsSpan(0, t), 0, p);
                examples.Add((target.GetHiddenState(t).ToArray(), p[all[t]] >= acceptableProbability));
            }
        }

        return examples;
    }
}
