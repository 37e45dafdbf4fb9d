using System.Net;
using System.Text.Json;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>Host (DNS rebinding) and Origin (cross-site pages) checks, and CORS for listed origins. All traffic to 127.0.0.1.</summary>
public sealed class HostAndOriginTests : IAsyncLifetime
{
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""";
    private const string Listed = "https://app.example";
    private readonly FakeChatClient _fake = new();
    private LoopbackServer? _server;

    private LoopbackServer Server => _server!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync(_fake, configure: o => o.CorsOrigins = [Listed]);

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Theory]
    [InlineData("evil.example", HttpStatusCode.MisdirectedRequest)]
    [InlineData("127.0.0.1.evil.example", HttpStatusCode.MisdirectedRequest)]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    [InlineData("[::1]", HttpStatusCode.OK)]
    public async Task LoopbackServer_ServesOnlyLoopbackHostNames(string host, HttpStatusCode expected)
    {
        using var http = Server.HttpClient();
        foreach (string path in new[] { "v1/models", "health", "" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = $"{host}:{Server.BaseAddress.Port}";
            var response = await http.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
        }
    }

    [Fact]
    public async Task ForeignHost_GetsAnOpenAIError_AndNothingIsGenerated()
    {
        using var http = Server.HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ApiKeyTests.Json(Body) };
        request.Headers.Host = "evil.example";
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_host", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task ConfiguredAllowedHosts_ReplaceTheLoopbackNames()
    {
        await using var server = await LoopbackServer.StartAsync(new FakeChatClient(), configure: o => o.AllowedHosts = ["api.example", "*.corp.example"]);
        using var http = server.HttpClient();
        foreach (var (host, expected) in new[] { ("api.example", HttpStatusCode.OK), ("x.corp.example", HttpStatusCode.OK), ("localhost", HttpStatusCode.MisdirectedRequest), ("evil.example", HttpStatusCode.MisdirectedRequest) })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            request.Headers.Host = host;
            Assert.Equal(expected, (await http.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task ForeignOrigin_Is403_AndNothingIsGenerated()
    {
        using var http = Server.HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ApiKeyTests.Json(Body) };
        request.Headers.Add("Origin", "https://evil.example");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_origin", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task SameOriginAndNoOrigin_AreServed()
    {
        using var http = Server.HttpClient();
        foreach (string? origin in new[] { null, Server.BaseAddress.GetLeftPart(UriPartial.Authority) })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ApiKeyTests.Json(Body) };
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }

            var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task ListedOrigin_GetsCorsHeaders_AndItsPreflightIsAnswered()
    {
        using var http = Server.HttpClient();
        var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        preflight.Headers.Add("Origin", Listed);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
        var answer = await http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal(Listed, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("authorization", answer.Headers.GetValues("Access-Control-Allow-Headers").Single());

        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ApiKeyTests.Json(Body) };
        request.Headers.Add("Origin", Listed);
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Listed, response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var foreign = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        foreign.Headers.Add("Origin", "https://evil.example");
        foreign.Headers.Add("Access-Control-Request-Method", "POST");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(foreign)).StatusCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5199", "127.0.0.1:5199", true)]
    [InlineData("https://api.example", "api.example", true)] // a TLS proxy passing the Host on
    [InlineData("http://api.example", "api.example:80", true)]
    [InlineData("http://[::1]:5199", "[::1]:5199", true)]
    [InlineData("http://127.0.0.1:5198", "127.0.0.1:5199", false)]
    [InlineData("http://evil.example:5199", "127.0.0.1:5199", false)]
    [InlineData("null", "127.0.0.1:5199", false)]
    public void SameOrigin_ComparesHostAndPort(string origin, string host, bool expected)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Host = Microsoft.AspNetCore.Http.HostString.FromUriComponent(host);
        Assert.Equal(expected, Hosting.Security.HostPolicy.IsSameOrigin(context.Request, origin));
    }
}
