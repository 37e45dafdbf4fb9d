using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>API keys: 401 in OpenAI's shape for a missing or wrong key, the OpenAI SDK with a right one, /health open, /metrics guarded.</summary>
public sealed class ApiKeyTests : IAsyncLifetime
{
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""";
    private readonly FakeChatClient _fake = new();
    private LoopbackServer? _server;

    private LoopbackServer Server => _server!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync(_fake, metrics: true, configure: o => o.ApiKeys = ["first-key", "second-key"]);

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Fact]
    public async Task MissingAndWrongKey_Are401_WithTheSameOpenAIError()
    {
        using var http = Server.HttpClient();
        var missing = await http.PostAsync("v1/chat/completions", Json(Body));
        var wrongRequest = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(Body) };
        wrongRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "first-kez");
        var wrong = await http.SendAsync(wrongRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        string missingBody = await missing.Content.ReadAsStringAsync();
        Assert.Equal(missingBody, await wrong.Content.ReadAsStringAsync());
        using var error = JsonDocument.Parse(missingBody);
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task OpenAISdk_WithEitherKey_Works_AndWithAWrongKeyGets401()
    {
        foreach (string key in new[] { "first-key", "second-key" })
        {
            ChatCompletion completion = await Server.OpenAIChatClient(apiKey: key).CompleteChatAsync([new UserChatMessage("Hi")]);
            Assert.Equal("Hello world", completion.Content[0].Text);
        }

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Server.OpenAIChatClient(maxRetries: 0, apiKey: "nope").CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task Health_IsOpen_ModelsAndMetricsNeedTheKey()
    {
        using var http = Server.HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("metrics")).StatusCode);

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "second-key");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("v1/models")).StatusCode);
        var metrics = await http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("# TYPE", await metrics.Content.ReadAsStringAsync());
    }

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
