using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace SpecAI.Extensions.Hosting.Tests.TestSupport;

/// <summary>The endpoints over a given <see cref="IChatClient"/>, on Kestrel at 127.0.0.1 with a free port.</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's root, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts a server whose DI container holds <paramref name="client"/> (not disposed with the server).</summary>
    public static async Task<LoopbackServer> StartAsync(IChatClient client, bool metrics = false, Action<OpenAIChatCompletionsOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddChatClient(new NonDisposingChatClient(client));
        if (metrics)
        {
            builder.Services.AddSpecAIMetrics();
        }

        var app = builder.Build();
        app.MapOpenAIChatCompletions(configure);
        if (metrics)
        {
            // The same settings guard /metrics (API keys, Host, Origin), as specai serve does.
            var guarded = new OpenAIChatCompletionsOptions();
            configure?.Invoke(guarded);
            app.MapSpecAIMetrics().WithOpenAIServerGuard(guarded);
        }

        await app.StartAsync();
        return new LoopbackServer(app, new Uri(app.Urls.Single().TrimEnd('/') + "/"));
    }

    /// <summary>An official OpenAI SDK chat client pointed at this server.</summary>
    /// <param name="model">The model name it sends.</param>
    /// <param name="maxRetries">Retries of failed calls (the SDK retries 503 by default).</param>
    /// <param name="apiKey">The key it sends as a bearer token.</param>
    public OpenAI.Chat.ChatClient OpenAIChatClient(string model = "stories260K", int maxRetries = 3, string apiKey = "not-needed")
        => new(model, new ApiKeyCredential(apiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(BaseAddress, "v1"),
            NetworkTimeout = TimeSpan.FromSeconds(60),
            RetryPolicy = new ClientRetryPolicy(maxRetries),
        });

    /// <summary>Microsoft.Extensions.AI's <see cref="IChatClient"/> over the OpenAI SDK, pointed at this server.</summary>
    public IChatClient MeaiChatClient() => OpenAIChatClient().AsIChatClient();

    /// <summary>A plain HTTP client for raw requests.</summary>
    public HttpClient HttpClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Begins a graceful shutdown (as SIGTERM does) and waits for it.</summary>
    public Task StopAsync() => _app.StopAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Keeps the container from disposing a client the test owns.</summary>
    private sealed class NonDisposingChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
        }
    }
}
