using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SpecAI.Extensions.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps an OpenAI-compatible chat API and a chat page over the <c>IChatClient</c> registered in DI.</summary>
public static class OpenAIChatCompletionsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /v1/chat/completions</c> (whole answers and server-sent events, <c>n</c> choices),
    /// <c>POST /v1/completions</c> (legacy text completions for autocomplete), <c>GET /v1/models</c>,
    /// <c>GET /v1/models/{id}</c>, <c>GET /health</c> and the chat page at <c>GET /</c> over the
    /// <c>Microsoft.Extensions.AI.IChatClient</c> registered in the service collection (any implementation; a
    /// speculative client's counters surface as <c>accepted_prediction_tokens</c> / <c>rejected_prediction_tokens</c>).
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="configure">Optional settings (keyed client, model id, which extra endpoints to map).</param>
    /// <returns>A builder for conventions on all mapped endpoints (authorization, CORS, rate limiting).</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddSpeculativeChatClient(builder.Configuration.GetSection("SpecAI"));
    /// var app = builder.Build();
    /// app.MapOpenAIChatCompletions();
    /// </code>
    /// </example>
    public static IEndpointConventionBuilder MapOpenAIChatCompletions(this IEndpointRouteBuilder endpoints, Action<OpenAIChatCompletionsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = new OpenAIChatCompletionsOptions();
        configure?.Invoke(options);

        var completions = new ChatCompletionsEndpoint(options);
        var info = new InfoEndpoints(options);
        var group = endpoints.MapGroup(string.Empty);
        group.MapPost("/v1/chat/completions", completions.HandleAsync);
        group.MapPost("/v1/completions", new CompletionsEndpoint(options).HandleAsync);
        group.MapGet("/v1/models", info.ListModelsAsync);
        group.MapGet("/v1/models/{id}", (HttpContext context, string id) => info.GetModelAsync(context, id));
        if (options.MapHealth)
        {
            group.MapGet("/health", info.HealthAsync);
        }

        if (options.MapChatPage)
        {
            group.MapGet("/", ChatPage.WriteAsync);
        }

        return group;
    }
}
