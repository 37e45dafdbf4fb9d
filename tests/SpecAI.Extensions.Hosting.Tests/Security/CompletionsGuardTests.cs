using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>The legacy <c>/v1/completions</c> endpoint sits behind the same guard as chat completions.</summary>
public sealed class CompletionsGuardTests : IAsyncLifetime
{
    private const string Key = "completions-key";
    private const string Body = """{"model":"m","prompt":"def fibonacci(n):","max_tokens":4}""";
    private readonly FakeChatClient _fake = new();
    private LoopbackServer? _server;

    private LoopbackServer Server => _server!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync(_fake, configure: o => o.ApiKeys = [Key]);

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Fact]
    public async Task WithoutTheKey_Is401()
    {
        using var http = Server.HttpClient();
        var response = await http.PostAsync("v1/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", await Code(response));
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task ForeignOrigin_Is403_EvenWithTheKey()
    {
        using var http = Server.HttpClient();
        var request = Keyed(new StringContent(Body, Encoding.UTF8, "application/json"));
        request.Headers.Add("Origin", "https://evil.example");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task TextPlain_Is415_WithTheKey()
    {
        using var http = Server.HttpClient();
        var response = await http.SendAsync(Keyed(new StringContent(Body, Encoding.UTF8, "text/plain")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", await Code(response));
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task TwentyMiBPrompt_Is413_WithTheKey()
    {
        using var http = Server.HttpClient();
        string big = """{"model":"m","prompt":" """ + new string('x', 20 << 20) + "\"}";
        var response = await http.SendAsync(Keyed(new StringContent(big, Encoding.UTF8, "application/json")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", await Code(response));
        Assert.Null(_fake.Messages);
    }

    private static HttpRequestMessage Keyed(HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return request;
    }

    private static async Task<string?> Code(HttpResponseMessage response)
    {
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return error.RootElement.GetProperty("error").GetProperty("code").GetString();
    }
}
