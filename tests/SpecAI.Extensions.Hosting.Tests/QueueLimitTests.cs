using System.ClientModel;
using System.Net;
using System.Text;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>The real scheduler's bounded queue behind the server: 503 when full, a slot freed by a disconnect.</summary>
[Collection(StoriesServerCollection.Name)]
public sealed class QueueLimitTests
{
    [Fact]
    public async Task FullQueue_Is503_AndADisconnectFreesTheSlot()
    {
        using var model = new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = TestModels.Stories,
            ContextSize = 2048,
            Threads = 1,
            MaxConcurrentRequests = 1,
            MaxQueuedRequests = 0,
        });

        // The first request gets a grammar that never ends its answer: it holds the only slot until it is cancelled.
        var probe = new MeaiOpenAIClientTests.EndlessSlowConstraint(endToken: 2, TimeSpan.FromMilliseconds(2));
        int requests = 0;
        var client = new InterceptingChatClient(model, (_, options) =>
        {
            if (Interlocked.Increment(ref requests) == 1)
            {
                (options.AdditionalProperties ??= new())[SpeculativeChatOptionKeys.Constraint] = probe;
            }
        });
        await using var server = await LoopbackServer.StartAsync(client);
        var sdk = server.OpenAIChatClient(maxRetries: 0);
        using (var http = server.HttpClient())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":1500,"temperature":0}""", Encoding.UTF8, "application/json"),
            };
            using var running = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await running.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());

            var error = await Assert.ThrowsAsync<ClientResultException>(() => sdk.CompleteChatAsync([new UserChatMessage("Hello")]));
            Assert.Equal(503, error.Status);
            Assert.Contains("MaxQueuedRequests", error.Message);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (HttpStatusCode)error.GetRawResponse()!.Status);
        }

        // The first client has gone: its generation stops, and its slot is free again (a default client also retries 503s).
        int stoppedAt = -1;
        for (int i = 0; i < 100 && stoppedAt < 0; i++)
        {
            int before = probe.Generated;
            await Task.Delay(200);
            stoppedAt = probe.Generated == before ? before : -1;
        }

        ChatCompletion next = await server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8 }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(string.IsNullOrEmpty(next.Content[0].Text));
        Assert.InRange(stoppedAt, 1, 1000);
    }
}
