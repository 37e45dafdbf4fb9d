using System.Globalization;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Sampling;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Vocabulary;

/// <summary>
/// Drafts whose vocabularies differ from the target's, through <see cref="SpeculativeChatClient"/> on stories260K
/// pairs: the kind decided at load, greedy speculative == plain, the target's law at T = 1 (chi-square), and the
/// tokens per target call each pair reaches.
/// </summary>
public class VocabularyPairTests(VocabularyPairs pairs, ITestOutputHelper output) : IClassFixture<VocabularyPairs>
{
    public static TheoryData<string> MappedPairs => new(VocabularyPairs.Mapped);

    [Theory]
    [MemberData(nameof(MappedPairs))]
    [InlineData("identical")]
    public void Load_DecidesTheCompatibilityOnce_AndTheAppCanSeeIt(string pair)
    {
        var client = pairs[pair];
        var expected = VocabularyPairs.Describe(pair).Kind;

        Assert.Equal(expected, client.VocabularyCompatibility!.Kind);
        Assert.Same(client.VocabularyCompatibility, client.GetService(typeof(VocabularyCompatibility)));
        Assert.True(client.VocabularyCompatibility.SharedTokenCount > 400, client.VocabularyCompatibility.ToString());
        output.WriteLine($"{pair}: {client.VocabularyCompatibility}");
    }

    [Fact]
    public void Exact_RefusesAPaddedPair_NamingBothModelsAndTheSizes()
    {
        var error = Assert.Throws<IncompatibleDraftModelException>(() => new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = VocabularyFixtures.PaddedTarget,
            DraftModelPath = TestModels.StoriesQ4,
            VocabularyMapping = VocabularyMapping.Exact,
            ContextSize = 256,
        }));

        Assert.Equal("padded-target", error.TargetModel);
        Assert.Equal("stories260K-q4_0", error.DraftModel);
        Assert.Equal(VocabularyMapping.Exact, error.Mapping);
        Assert.Contains("vocabulary sizes differ (576 vs 512)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exact_RefusesShuffledIds_NamingTheFirstDifferingToken()
    {
        var error = Assert.Throws<IncompatibleDraftModelException>(() => new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            DraftModelPath = VocabularyFixtures.ShuffledDraft,
            VocabularyMapping = VocabularyMapping.Exact,
            ContextSize = 256,
        }));

        Assert.Matches("token 0 is '.*' in the target but '.*' in the draft", error.Message);
    }

    [Theory]
    [InlineData(VocabularyMapping.Auto, VocabularyCompatibilityKind.Intersection)]
    [InlineData(VocabularyMapping.Text, VocabularyCompatibilityKind.Text)]
    public async Task OtherFamily_Llama2Draft_GreedyEqualsPlain(VocabularyMapping mapping, VocabularyCompatibilityKind kind)
    {
        // Llama 2's 32,000-token SentencePiece vocabulary (random weights) holds every text token of stories260K.
        using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            DraftModelPath = TestModels.LlamaTinyRandom,
            VocabularyMapping = mapping,
            ContextSize = 512,
            Threads = 1,
            BatchSize = 128,
        });
        var messages = StoriesClients.Prompt();

        var plain = await client.GenerateTokensAsync(messages, Options(0, seed: 1, maxTokens: 24, mode: "none"));
        var speculative = await client.GenerateTokensAsync(messages, Options(0, seed: 1, maxTokens: 24, mode: "draft"));

        Assert.Equal(kind, client.VocabularyCompatibility!.Kind);
        Assert.Equal(plain, speculative);
        Assert.True(client.Statistics.DraftedTokens > 0, client.Statistics.ToString());
        output.WriteLine(client.VocabularyCompatibility.ToString());
    }

    [Theory]
    [MemberData(nameof(MappedPairs))]
    [InlineData("identical")]
    public async Task Greedy_SpeculativeEqualsPlain_AndDraftsAreAccepted(string pair)
    {
        var client = pairs[pair];
        long generated = 0, calls = 0, drafted = 0, accepted = 0;
        foreach (string text in new[] { "Once upon a time, there was a little girl named Lily.", "Tom had a big red ball. One day," })
        {
            var messages = StoriesClients.Prompt(text);
            var plain = await client.GenerateTokensAsync(messages, Options(0, seed: 1, maxTokens: 48, mode: "none"));
            var before = Snapshot(client);
            var speculative = await client.GenerateTokensAsync(messages, Options(0, seed: 1, maxTokens: 48, mode: "draft"));
            var after = Snapshot(client);

            Assert.Equal(plain, speculative);
            generated += after.Generated - before.Generated;
            calls += after.Calls - before.Calls;
            drafted += after.Drafted - before.Drafted;
            accepted += after.Accepted - before.Accepted;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pair} T=0: {(double)generated / calls:F2} tokens per target call ({generated} tokens, {calls} calls, accepted {accepted} of {drafted} drafted)"));
        Assert.True(accepted > 0, $"no draft accepted on {pair}");
    }

    public static TheoryData<string, string, string> SamplingCases
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            // "big" takes the same path as "padded" (ids kept, logits copied).
            foreach (string pair in VocabularyPairs.Mapped.Where(p => p != "big"))
            {
                data.Add(pair, "draft", "standard");
            }

            data.Add("byte-level", "multi", "kseq");
            data.Add("shuffled", "multi", "rrs-wor");
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SamplingCases))]
    public async Task Temperature1_FirstTokenLawMatchesTarget_ChiSquare(string pair, string mode, string verifier)
    {
        var client = pairs[pair];
        var messages = StoriesClients.Prompt("Tom had a big red ball. One day,");
        int[] prompt = client.TokenizePrompt(messages, null);
        double[] p = ExactTargetLaw.NextToken(VocabularyPairs.Describe(pair).Target, prompt, new SamplingOptions { Temperature = 1 });

        const int samples = 2_000;
        var counts = new long[p.Length];
        var before = Snapshot(client);
        for (int i = 0; i < samples; i++)
        {
            var options = Options(1, seed: 20_000 + i, maxTokens: 2, mode);
            options.AdditionalProperties![SpeculativeChatOptionKeys.Verifier] = verifier;
            options.AdditionalProperties[SpeculativeChatOptionKeys.DraftCount] = 3;
            var tokens = await client.GenerateTokensAsync(messages, options);
            counts[tokens[0]]++;
        }

        var after = Snapshot(client);
        var (statistic, df, pValue) = ChiSquare.Test(counts, p);
        double outside = p.Skip(client.VocabularyCompatibility!.DraftVocabularySize).Sum();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pair} {mode} {verifier} T=1: chi-square {statistic:F1}, df {df}, p {pValue:G3}; accepted {after.Accepted - before.Accepted} of {after.Drafted - before.Drafted} drafted; target mass on ids the draft lacks {outside:G3}"));
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} df, p = {pValue:G3}");
        Assert.True(after.Accepted > before.Accepted && after.Accepted - before.Accepted < after.Drafted - before.Drafted, "both accepts and rejections must occur");
    }

    [Theory]
    [MemberData(nameof(MappedPairs))]
    [InlineData("identical")]
    public async Task Temperature1_TokensPerTargetCall_IsReported(string pair)
    {
        var client = pairs[pair];
        var before = Snapshot(client);
        for (int seed = 0; seed < 4; seed++)
        {
            await client.GenerateTokensAsync(StoriesClients.Prompt(), Options(1, seed, maxTokens: 64, mode: "draft"));
        }

        var after = Snapshot(client);
        double perCall = (double)(after.Generated - before.Generated) / (after.Calls - before.Calls);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pair} T=1: {perCall:F2} tokens per target call ({after.Generated - before.Generated} tokens, accepted {after.Accepted - before.Accepted} of {after.Drafted - before.Drafted} drafted)"));
        Assert.True(perCall > 1.0, $"{pair}: {perCall} tokens per target call");
    }

    private static ChatOptions Options(double temperature, int seed, int maxTokens, string mode) => new()
    {
        Temperature = (float)temperature,
        Seed = seed,
        MaxOutputTokens = maxTokens,
        AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode },
    };

    private static (long Generated, long Calls, long Drafted, long Accepted) Snapshot(SpeculativeChatClient client)
    {
        var s = client.Statistics;
        return (s.GeneratedTokens, s.TargetCalls, s.DraftedTokens, s.AcceptedTokens);
    }
}
