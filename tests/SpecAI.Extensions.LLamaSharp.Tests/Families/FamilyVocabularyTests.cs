using System.Globalization;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Gguf.Forge;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Sampling;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Families;

/// <summary>
/// Real-tokenizer pairs whose vocabularies differ (test-scale forged weights): a Qwen2.5-7B-style target padded to
/// 152,064 tokens with a 151,936-token draft, and a Llama 3.1 target (128,256) with a Qwen3 draft (151,936).
/// </summary>
public class FamilyVocabularyTests(FamilyVocabularyTests.Pairs pairs, ITestOutputHelper output) : IClassFixture<FamilyVocabularyTests.Pairs>
{
    private static readonly List<ChatMessage> Story = [new(ChatRole.System, "You are a storyteller."), new(ChatRole.User, "Tell me about the lighthouse keeper and his cat.")];

    [Theory]
    [InlineData(ForgeFamilies.Qwen25, VocabularyMapping.Auto, VocabularyCompatibilityKind.Padded)]
    [InlineData(ForgeFamilies.Cross, VocabularyMapping.Auto, VocabularyCompatibilityKind.Intersection)]
    [InlineData(ForgeFamilies.Cross, VocabularyMapping.Text, VocabularyCompatibilityKind.Text)]
    public async Task RealTokenizers_GreedySpeculativeEqualsPlain(string family, VocabularyMapping mapping, VocabularyCompatibilityKind kind)
    {
        var client = pairs.Client(family, mapping);
        Assert.Equal(kind, client.VocabularyCompatibility!.Kind);
        output.WriteLine($"{family} {mapping}: {client.VocabularyCompatibility}");

        var plain = await client.GenerateTokensAsync(Story, Options(0, 1, 64, "none"));
        var before = client.Statistics.TargetCalls;
        var accepted = client.Statistics.AcceptedTokens;
        var speculative = await client.GenerateTokensAsync(Story, Options(0, 1, 64, "draft"));

        Assert.Equal(plain, speculative);
        Assert.True(client.Statistics.AcceptedTokens > accepted, client.Statistics.ToString());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{family} {mapping} T=0: {(double)speculative.Length / (client.Statistics.TargetCalls - before):F2} tokens per target call"));
    }

    [Theory]
    [InlineData(ForgeFamilies.Qwen25)]
    [InlineData(ForgeFamilies.Cross)]
    public async Task RealTokenizers_Temperature1_FirstTokenLawMatchesTarget_ChiSquare(string family)
    {
        var client = pairs.Client(family, VocabularyMapping.Auto);
        int[] prompt = client.TokenizePrompt(Story, null);
        double[] p = ExactTargetLaw.NextToken(pairs.Family(family).TargetPath, prompt, new SamplingOptions { Temperature = 1 });

        const int samples = 1_000;
        var counts = new long[p.Length];
        long drafted = client.Statistics.DraftedTokens, accepted = client.Statistics.AcceptedTokens;
        for (int i = 0; i < samples; i++)
        {
            counts[(await client.GenerateTokensAsync(Story, Options(1, 30_000 + i, 2, "draft")))[0]]++;
        }

        var (statistic, df, pValue) = ChiSquare.Test(counts, p);
        drafted = client.Statistics.DraftedTokens - drafted;
        accepted = client.Statistics.AcceptedTokens - accepted;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{family} T=1: chi-square {statistic:F1}, df {df}, p {pValue:G3}; accepted {accepted} of {drafted}"));
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} df, p = {pValue:G3}");
        Assert.True(accepted > 0 && accepted < drafted, $"both accepts and rejections must occur (drafted {drafted}, accepted {accepted})");
    }

    private static ChatOptions Options(double temperature, int seed, int maxTokens, string mode) => new()
    {
        Temperature = (float)temperature,
        Seed = seed,
        MaxOutputTokens = maxTokens,
        AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode },
    };

    /// <summary>The two families, forged once into the shared cache under the test output, with a client per mapping.</summary>
    public sealed class Pairs : IDisposable
    {
        private readonly string _tokenizers = ForgeFamilies.FindTokenizersFolder(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException($"No 'shared/tokenizers' folder above {AppContext.BaseDirectory}.");

        private readonly Dictionary<string, ForgedFamily> _families = new();
        private readonly Dictionary<(string, VocabularyMapping), SpeculativeChatClient> _clients = new();

        public ForgedFamily Family(string name)
        {
            lock (_families)
            {
                if (!_families.TryGetValue(name, out var family))
                {
                    family = _families[name] = ForgeFamilies.GetOrCreate(name, _tokenizers, Path.Combine(AppContext.BaseDirectory, "forged-families"));
                }

                return family;
            }
        }

        public SpeculativeChatClient Client(string name, VocabularyMapping mapping)
        {
            var family = Family(name);
            lock (_clients)
            {
                if (!_clients.TryGetValue((name, mapping), out var client))
                {
                    client = _clients[(name, mapping)] = new SpeculativeChatClient(new SpeculativeChatClientOptions
                    {
                        TargetModelPath = family.TargetPath,
                        DraftModelPath = family.DraftPath,
                        VocabularyMapping = mapping,
                        ContextSize = 1024,
                        DraftLength = 4,
                        Threads = 1,
                        BatchSize = 128,
                    });
                }

                return client;
            }
        }

        public void Dispose()
        {
            foreach (var client in _clients.Values)
            {
                client.Dispose();
            }
        }
    }
}
