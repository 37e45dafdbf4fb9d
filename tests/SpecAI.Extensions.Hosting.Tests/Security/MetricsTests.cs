using System.Text.RegularExpressions;
using OpenAI.Chat;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>/metrics after a speculative answer: vLLM-named counters and an acceptance histogram with buckets in [0, 1].</summary>
[Collection(StoriesServerCollection.Name)]
public sealed partial class MetricsTests(StoriesServer fixture)
{
    [Fact]
    public async Task Metrics_HaveVllmNamedCounters_AndAcceptanceBucketsInZeroToOne()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 32 };
        options.Patch.Set("$.specai.mode"u8, "draft");
        options.Patch.Set("$.specai.draft_length"u8, 4);
        ChatCompletion completion = await fixture.Server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage("Once upon a time")], options);
        Assert.True(completion.Usage.OutputTokenDetails.AcceptedPredictionTokenCount > 0);

        using var http = fixture.Server.HttpClient();
        string metrics = await http.GetStringAsync("metrics");
        long drafts = Total(metrics, "specai_spec_decode_num_drafts_total");
        long draftTokens = Total(metrics, "specai_spec_decode_num_draft_tokens_total");
        long accepted = Total(metrics, "specai_spec_decode_num_accepted_tokens_total");
        Assert.True(drafts > 0 && draftTokens >= drafts && accepted > 0 && accepted <= draftTokens, $"drafts {drafts}, draft tokens {draftTokens}, accepted {accepted}");
        Assert.Equal(Total(metrics, "specai_accepted_tokens_total"), accepted);
        Assert.Equal(Total(metrics, "specai_drafted_tokens_total"), draftTokens);

        // Per position: position 0 is accepted most often, and the positions add up to the accepted tokens.
        long position0 = Total(metrics, "specai_spec_decode_num_accepted_tokens_per_pos_total", "position=\"0\"");
        Assert.True(position0 > 0);
        Assert.Equal(accepted, Total(metrics, "specai_spec_decode_num_accepted_tokens_per_pos_total"));

        var bounds = BucketBound().Matches(metrics).Select(m => m.Groups[1].Value).Where(b => b != "+Inf").Select(double.Parse).Distinct().Order().ToList();
        Assert.Equal(0, bounds[0]);
        Assert.Equal(1, bounds[^1]);
        Assert.True(bounds.Count >= 11, string.Join(", ", bounds));
    }

    /// <summary>Sums a counter's samples (over all tag sets, or those containing <paramref name="having"/>).</summary>
    private static long Total(string metrics, string name, string? having = null)
        => metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => having is null || l.Contains(having, StringComparison.Ordinal))
            .Sum(l => (long)double.Parse(Value(l), System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The sample's value: the first field after the name and labels (a timestamp may follow).</summary>
    private static string Value(string line)
    {
        int labels = line.LastIndexOf('}');
        return line[(labels >= 0 ? labels + 1 : line.IndexOf(' ', StringComparison.Ordinal))..].Trim().Split(' ')[0];
    }

    [GeneratedRegex("^specai_acceptance_rate_bucket\\{.*le=\"([^\"]+)\"\\}", RegexOptions.Multiline)]
    private static partial Regex BucketBound();
}
