using LLama.Common;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Gguf.Forge;
using SpecAI.Extensions.Sampling;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Architectures;

/// <summary>
/// Speculation is exact on hybrid (qwen35: native snapshots; lfm2: checkpoint and replay), sliding-window (gemma3, window
/// shorter than the generations) and mixture-of-experts (qwen3moe) pairs, through the chat client.
/// </summary>
[Collection(ArchitecturesCollection.Name)]
public class ArchitectureSpeculationTests(ArchitectureClients clients, ITestOutputHelper output)
{
    private const int LongAnswer = 150;

    private static readonly List<ChatMessage> Prompt = [new(ChatRole.User, "Write a long story about a robot who learns to paint.")];

    [Theory]
    [MemberData(nameof(ArchitectureClients.Architectures), MemberType = typeof(ArchitectureClients))]
    public void Load_DetectsTheArchitectureAndItsRollback(string architecture)
    {
        var client = clients.Client(architecture);
        var target = client.TargetSession;
        var draft = client.DraftSession!;
        Assert.Equal(architecture, target.Architecture);
        var expected = architecture switch
        {
            ArchitectureForge.Qwen35 => SequenceRollback.Snapshots,
            ArchitectureForge.Lfm2 => SequenceRollback.CheckpointReplay,
            _ => SequenceRollback.Removal,
        };
        Assert.Equal(expected, target.Rollback);
        Assert.Equal(expected, draft.Rollback);
        if (expected == SequenceRollback.Snapshots)
        {
            // Snapshots as deep as the longest draft.
            Assert.True(target.RollbackDepth >= 4, $"{target.RollbackDepth} snapshots");
        }

        if (architecture == ArchitectureForge.Gemma3)
        {
            Assert.InRange(target.SlidingWindow, 1, LongAnswer / 2);
            Assert.False(target.SwaFull);
        }
    }

    [Theory]
    [MemberData(nameof(ArchitectureClients.Architectures), MemberType = typeof(ArchitectureClients))]
    public async Task Greedy_DraftAndMultiDraft_EqualPlainDecoding_WithDraftsAcceptedAndRejected(string architecture)
    {
        var client = clients.Client(architecture);
        var plain = await client.GenerateTokensAsync(Prompt, Greedy("none"));
        Assert.Equal(LongAnswer, plain.Length);

        foreach (var options in new[] { Greedy("draft"), Greedy("multi", "kseq") })
        {
            var before = Snapshot(client.Statistics);
            var speculative = await client.GenerateTokensAsync(Prompt, options);
            var delta = Snapshot(client.Statistics) - before;
            output.WriteLine($"{architecture} {options.AdditionalProperties![SpeculativeChatOptionKeys.Mode]}: {delta}");
            Assert.Equal(plain, speculative);
            AssertRollbackRan(architecture, delta);
        }
    }

    [Theory]
    [MemberData(nameof(ArchitectureClients.Architectures), MemberType = typeof(ArchitectureClients))]
    public async Task Temperature1_SecondTokenLawMatchesTarget_ChiSquare(string architecture)
    {
        // Two tokens with a one-token draft: a rejected first draft is rolled back before the second token, so the
        // second token's law checks the rollback (or checkpoint and replay) path.
        var client = clients.Client(architecture);
        var messages = new List<ChatMessage> { new(ChatRole.User, "Once upon a time") };
        int[] prompt = client.TokenizePrompt(messages, null);
        double[] law = SecondTokenLaw(clients.Pair(architecture).TargetPath, prompt, client.StopTokens);

        const int samples = 3000;
        var counts = new long[law.Length];
        var before = Snapshot(client.Statistics);
        for (int i = 0; i < samples; i++)
        {
            var tokens = await client.GenerateTokensAsync(messages, new ChatOptions
            {
                Temperature = 1,
                Seed = 20_000 + i,
                MaxOutputTokens = 2,
                AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = "draft" },
            });
            // A first token that ends the answer leaves no second one: the last category.
            counts[tokens.Length > 1 ? tokens[1] : law.Length - 1]++;
        }

        var delta = Snapshot(client.Statistics) - before;
        var (statistic, df, pValue) = Testing.ChiSquare.Test(counts, law);
        output.WriteLine($"{architecture}: chi-square {statistic:F1}, df {df}, p {pValue:G3}; {delta}");
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} df, p = {pValue:G3}");
        AssertRollbackRan(architecture, delta);
    }

    [Theory]
    [MemberData(nameof(ArchitectureClients.Architectures), MemberType = typeof(ArchitectureClients))]
    public async Task EditedMultiTurnConversation_AnswersLikeAFreshClient(string architecture)
    {
        var client = clients.Client(architecture);
        var options = Greedy("draft", max: 80);
        List<ChatMessage> conversation = [new(ChatRole.User, "Tell me about the sea and the ships on it, at length.")];
        var first = await client.GetResponseAsync(conversation, options);
        conversation.AddRange(first.Messages);
        conversation.Add(new ChatMessage(ChatRole.User, "And then what happened to the sailors?"));
        var second = await client.GetResponseAsync(conversation, options);

        // Edit the first turn: the cached state holds tokens the edited conversation lacks.
        List<ChatMessage> edited = [new(ChatRole.User, "Tell me about the mountains instead."), .. conversation.Skip(1)];
        var answer = await client.GetResponseAsync(edited, options);

        using var fresh = clients.CreateClient(architecture);
        Assert.Equal((await fresh.GetResponseAsync(conversation, options)).Text, second.Text);
        Assert.Equal((await fresh.GetResponseAsync(edited, options)).Text, answer.Text);
    }

    [Theory]
    [MemberData(nameof(ArchitectureClients.Architectures), MemberType = typeof(ArchitectureClients))]
    public async Task EightConcurrentRequests_EqualTheirAnswersAlone(string architecture)
    {
        var client = clients.Client(architecture);
        var prompts = Enumerable.Range(0, 8).Select(i => new List<ChatMessage> { new(ChatRole.User, $"Story number {i}: a {(i % 2 == 0 ? "cat" : "dog")} named {(char)('A' + i)}.") }).ToArray();
        var options = Greedy("draft", max: 60);
        var alone = new List<int[]>();
        foreach (var prompt in prompts)
        {
            alone.Add(await client.GenerateTokensAsync(prompt, options));
        }

        var together = await Task.WhenAll(prompts.Select(p => client.GenerateTokensAsync(p, options)));

        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], together[i]);
        }
    }

    internal static ChatOptions Greedy(string mode, string? verifier = null, int max = LongAnswer)
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = max, AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode } };
        if (verifier is not null)
        {
            options.AdditionalProperties[SpeculativeChatOptionKeys.Verifier] = verifier;
            options.AdditionalProperties[SpeculativeChatOptionKeys.DraftCount] = 2;
        }

        return options;
    }

    private static void AssertRollbackRan(string architecture, Counts delta)
    {
        Assert.True(delta.Accepted > 0 && delta.Accepted < delta.Drafted, $"drafts must be both accepted and rejected: {delta}");
        if (architecture == ArchitectureForge.Lfm2)
        {
            Assert.True(delta.Restores > 0, $"checkpoint and replay must have run: {delta}");
        }
        else if (architecture == ArchitectureForge.Qwen35)
        {
            Assert.True(delta.Snapshots + delta.Restores > 0, $"native rollback must have run: {delta}");
        }
    }

    /// <summary>
    /// Law of the second generated token: sum over first tokens of p(t1) p(t2 | t1), from fresh decodes of the target;
    /// the last entry is the probability that the first token ends the answer.
    /// </summary>
    private static double[] SecondTokenLaw(string modelPath, IReadOnlyList<int> prompt, IReadOnlySet<int> stopTokens)
    {
        var sampling = new SamplingOptions { Temperature = 1 };
        using var session = LLamaModelSession.Load(modelPath, new ModelParams(modelPath) { ContextSize = 512, BatchSize = 512, SeqMax = 1, Threads = 2 });
        var processor = new LogitProcessor(sampling);
        int vocabulary = session.VocabularySize;
        var first = new double[vocabulary];
        var next = new double[vocabulary];
        var law = new double[vocabulary + 1];
        Decode(session, prompt, -1);
        processor.Process(session.GetLogits(prompt.Count - 1), prompt.ToArray(), 0, first);
        for (int t = 0; t < vocabulary; t++)
        {
            if (stopTokens.Contains(t))
            {
                law[vocabulary] += first[t];
                continue;
            }

            if (first[t] < 1e-9)
            {
                continue;
            }

            // Each continuation from an empty cache: nothing of our rollback code is involved.
            session.RemoveTokens(0, 0);
            Decode(session, prompt, t);
            processor.Process(session.GetLogits(prompt.Count), [.. prompt, t], 1, next);
            for (int v = 0; v < vocabulary; v++)
            {
                law[v] += first[t] * next[v];
            }
        }

        return law;
    }

    private static void Decode(LLamaModelSession session, IReadOnlyList<int> prompt, int extra)
    {
        var batch = new DecodeBatch();
        for (int i = 0; i < prompt.Count; i++)
        {
            batch.Add(prompt[i], i, 0, extra < 0 && i == prompt.Count - 1);
        }

        if (extra >= 0)
        {
            batch.Add(extra, prompt.Count, 0, true);
        }

        session.Decode(batch);
    }

    private static Counts Snapshot(SpeculationStatistics s) => new(s.DraftedTokens, s.AcceptedTokens, s.SnapshotRollbacks, s.CheckpointRestores, s.ReplayedTokens);

    internal readonly record struct Counts(long Drafted, long Accepted, long Snapshots, long Restores, long Replayed)
    {
        public static Counts operator -(Counts a, Counts b) => new(a.Drafted - b.Drafted, a.Accepted - b.Accepted, a.Snapshots - b.Snapshots, a.Restores - b.Restores, a.Replayed - b.Replayed);
    }
}
