using System.Net;
using System.Text;
using System.Text.Json;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>JSON only (415), the body size (413) and the limits inside the JSON (400 naming the parameter).</summary>
public sealed class RequestLimitTests : IAsyncLifetime
{
    private readonly FakeChatClient _fake = new();
    private LoopbackServer? _server;

    private LoopbackServer Server => _server!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync(_fake, configure: o =>
    {
        o.MaxMessages = 2;
        o.MaxStopSequences = 2;
        o.MaxStopSequenceLength = 8;
        o.MaxTools = 1;
        o.MaxSchemaBytes = 200;
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task NonJsonBody_Is415_AndNothingIsGenerated(string contentType)
    {
        using var http = Server.HttpClient();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await http.PostAsync("v1/chat/completions", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", await Code(response));
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task JsonWithCharset_IsServed()
    {
        using var http = Server.HttpClient();
        var response = await http.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.RequestMessage!.Content!.Headers.ContentType!.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TwentyMiBBody_Is413(bool contentLength)
    {
        await using var server = await LoopbackServer.StartAsync(new FakeChatClient());
        using var http = server.HttpClient();
        string big = """{"model":"m","messages":[{"role":"user","content":" """ + new string('x', 20 << 20) + "\"}]}";
        HttpContent content = new StringContent(big, Encoding.UTF8, "application/json");
        if (!contentLength)
        {
            // Chunked: no Content-Length to refuse up front, so the read itself must stop at the limit.
            content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(big)));
            content.Headers.ContentType = new("application/json");
        }

        var response = await http.PostAsync("v1/chat/completions", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", await Code(response));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":"c"}]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"stop":["a","b","c"]}""", "stop")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"stop":"123456789"}""", "stop")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"stop":["ok","123456789"]}""", "stop[1]")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}}]}""", "tools")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"a","parameters":{"type":"object","description":"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}}}]}""", "tools[0].function.parameters")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object","description":"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}}}}""", "response_format.json_schema.schema")]
    public async Task OverALimit_Is400_NamingTheParameter(string body, string param)
    {
        using var http = Server.HttpClient();
        var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(param, error.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("limit_exceeded", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(_fake.Messages);
    }

    [Fact]
    public async Task AtTheLimits_IsServed()
    {
        using var http = Server.HttpClient();
        string body = """{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}],"stop":["12345678","x"],"tools":[{"type":"function","function":{"name":"a","parameters":{"type":"object"}}}]}""";
        var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new OpenAIChatCompletionsOptions();
        Assert.Equal(4L << 20, options.MaxRequestBodyBytes);
        Assert.Equal(1024, options.MaxMessages);
        Assert.Equal(16, options.MaxStopSequences);
        Assert.Equal(256, options.MaxStopSequenceLength);
        Assert.Equal(128, options.MaxTools);
        Assert.Equal(256 << 10, options.MaxSchemaBytes);
        Assert.Empty(options.ApiKeys);
    }

    private static async Task<string?> Code(HttpResponseMessage response)
    {
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return error.RootElement.GetProperty("error").GetProperty("code").GetString();
    }

    /// <summary>Hides the length so the client sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
