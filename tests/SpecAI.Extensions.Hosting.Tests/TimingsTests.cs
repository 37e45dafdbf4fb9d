using System.Text;
using System.Text.Json;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>llama-server's per-response <c>timings</c> object, from the speculative client's usage counters.</summary>
[Collection(StoriesServerCollection.Name)]
public sealed class TimingsTests(StoriesServer fixture)
{
    private const string Request = """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":24,"temperature":0,"specai.mode":"draft","specai.draft_length":4""";

    [Fact]
    public async Task WholeAnswer_HasTimings_MatchingItsUsage()
    {
        using var http = fixture.Server.HttpClient();
        var response = await http.PostAsync("v1/chat/completions", new StringContent(Request + "}", Encoding.UTF8, "application/json"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        AssertTimings(json.RootElement.GetProperty("timings"), json.RootElement.GetProperty("usage"));
    }

    [Fact]
    public async Task Stream_HasTimings_OnTheFinishingChunk()
    {
        using var http = fixture.Server.HttpClient();
        var response = await http.PostAsync("v1/chat/completions", new StringContent(Request + ""","stream":true,"stream_options":{"include_usage":true}}""", Encoding.UTF8, "application/json"));
        var chunks = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Trim()["data: ".Length..]).Where(d => d != "[DONE]").Select(d => JsonDocument.Parse(d).RootElement).ToList();
        var finishing = chunks.Single(c => c.GetProperty("choices").GetArrayLength() > 0 && c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        var usage = chunks.Single(c => c.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object).GetProperty("usage");
        AssertTimings(finishing.GetProperty("timings"), usage);
        Assert.Single(chunks, c => c.TryGetProperty("timings", out _));
    }

    private static void AssertTimings(JsonElement timings, JsonElement usage)
    {
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), timings.GetProperty("predicted_n").GetInt64());
        // Prompt tokens decoded: the KV cache may already hold some from an earlier request with the same prompt.
        Assert.InRange(timings.GetProperty("prompt_n").GetInt64(), 0, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.True(timings.GetProperty("prompt_ms").GetDouble() > 0);
        Assert.True(timings.GetProperty("predicted_ms").GetDouble() > 0);
        double perSecond = timings.GetProperty("predicted_per_second").GetDouble();
        Assert.Equal(timings.GetProperty("predicted_n").GetInt64() * 1000.0 / timings.GetProperty("predicted_ms").GetDouble(), perSecond, 1e-6);
        var details = usage.GetProperty("completion_tokens_details");
        long accepted = details.GetProperty("accepted_prediction_tokens").GetInt64();
        Assert.Equal(accepted, timings.GetProperty("draft_n_accepted").GetInt64());
        Assert.Equal(accepted + details.GetProperty("rejected_prediction_tokens").GetInt64(), timings.GetProperty("draft_n").GetInt64());
    }
}
