using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>Graceful shutdown: running streams get the drain time, then end with an error event and [DONE]; /health says draining.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Shutdown_CutsAnEndlessStream_AfterTheDrainTime_WithAFinalEvent()
    {
        await using var server = await LoopbackServer.StartAsync(new EndlessChatClient(), configure: o => o.ShutdownDrainTimeout = TimeSpan.FromMilliseconds(300));
        using var http = server.HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent("""{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? first = await reader.ReadLineAsync();
        Assert.StartsWith("data: ", first);

        var stopping = server.StopAsync();
        string rest = await reader.ReadToEndAsync();
        await stopping;

        var events = rest.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).ToList();
        Assert.Equal("data: [DONE]", events[^1]);
        using var error = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Equal("server_shutting_down", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains(events, e => e.Contains("tick", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_Is503_WhileDraining()
    {
        using var stopping = new CancellationTokenSource();
        var services = new ServiceCollection()
            .AddSingleton<IHostApplicationLifetime>(new Lifetime(stopping.Token))
            .AddSingleton<Microsoft.Extensions.AI.IChatClient>(new FakeChatClient())
            .BuildServiceProvider();
        var info = new InfoEndpoints(new OpenAIChatCompletionsOptions());

        Assert.Equal(StatusCodes.Status200OK, await HealthStatus(info, services));
        await stopping.CancelAsync();
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, await HealthStatus(info, services));
    }

    [Fact]
    public async Task Health_Is503_UntilTheModelsLoad()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, await HealthStatus(new InfoEndpoints(new OpenAIChatCompletionsOptions()), services));
    }

    private static async Task<int> HealthStatus(InfoEndpoints info, IServiceProvider services)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        await info.HealthAsync(context);
        return context.Response.StatusCode;
    }

    private sealed class Lifetime(CancellationToken stopping) : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => stopping;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
