using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Sampling;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests;

[Collection(StoriesCollection.Name)]
public class LosslessSamplingTests(StoriesClients clients, ITestOutputHelper output)
{
    [Theory]
    [InlineData("3L", "draft", "standard")]
    [InlineData("q4", "draft", "standard")]
    [InlineData("3L", "multi", "kseq")]
    [InlineData("3L", "multi", "rrs-wor")]
    public async Task Temperature1_FirstTokenLawMatchesTarget_ChiSquare(string draft, string mode, string verifier)
    {
        var client = draft == "3L" ? clients.ThreeLayers : clients.Q4;
        var messages = StoriesClients.Prompt("Tom had a big red ball. One day,");
        int[] prompt = client.TokenizePrompt(messages, null);
        double[] p = ExactTargetLaw.NextToken(TestModels.Stories, prompt, new SamplingOptions { Temperature = 1 });

        const int samples = 20_000;
        var counts = new long[p.Length];
        long drafted = client.Statistics.DraftedTokens, accepted = client.Statistics.AcceptedTokens;
        for (int i = 0; i < samples; i++)
        {
            // Two tokens: the first is verified against a one-token draft; accepted ones also get a bonus token.
            var tokens = await client.GenerateTokensAsync(messages, new ChatOptions
            {
                Temperature = 1,
                Seed = 10_000 + i,
                MaxOutputTokens = 2,
                AdditionalProperties = new()
                {
                    [SpeculativeChatOptionKeys.Mode] = mode,
                    [SpeculativeChatOptionKeys.Verifier] = verifier,
                    [SpeculativeChatOptionKeys.DraftCount] = 3,
                },
            });
            counts[tokens[0]]++;
        }

        var (statistic, df, pValue) = ChiSquare.Test(counts, p);
        drafted = client.Statistics.DraftedTokens - drafted;
        accepted = client.Statistics.AcceptedTokens - accepted;
        output.WriteLine($"draft {draft} {mode} {verifier}: chi-square {statistic:F1}, df {df}, p {pValue:G3}; drafted {drafted}, accepted {accepted}");
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} df, p = {pValue:G3}");
        Assert.True(accepted > 0 && accepted < drafted, $"both accepts and rejections must occur (drafted {drafted}, accepted {accepted})");
    }
}
