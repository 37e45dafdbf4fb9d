using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SpecAI.Extensions.Hosting;
using SpecAI.Extensions.Hosting.Protocol;
using SpecAI.Extensions.Hosting.Security;

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
    /// <param name="configure">Optional settings (keyed client, model id, which extra endpoints to map, API keys, allowed hosts and origins, limits).</param>
    /// <remarks>
    /// Every endpoint is guarded by the settings' Host and Origin checks; all but <c>/health</c> and the chat page by the
    /// API keys when any are set; request bodies must be JSON within the limits. See <see cref="OpenAIChatCompletionsOptions"/>.
    /// </remarks>
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
        // A Finally convention runs after each endpoint's own, so it covers every endpoint of the group, however mapped.
        var guard = new ServerGuard(options);
        ((IEndpointConventionBuilder)group).Finally(guard.Apply);
        // Streaming answers write their own body (server-sent events), so their bodies and responses are declared here for
        // OpenAPI; the request body without content types, so that the guard, not routing, answers a non-JSON body 415.
        // Handlers are mapped as Func<HttpContext, Task>, not RequestDelegate: API explorers describe only route handlers.
        group.MapPost("/v1/chat/completions", (Func<HttpContext, Task>)completions.HandleAsync)
            .WithName("CreateChatCompletion")
            .WithMetadata(new RequestBodyMetadata(typeof(ChatCompletionRequestDto)), Produces<CompletionDto<MessageChoiceDto>>(), BadRequest, Unavailable);
        group.MapPost("/v1/completions", (Func<HttpContext, Task>)new CompletionsEndpoint(options).HandleAsync)
            .WithName("CreateCompletion")
            .WithMetadata(new RequestBodyMetadata(typeof(CompletionRequestDto)), Produces<CompletionDto<TextChoiceDto>>(), BadRequest, Unavailable);
        group.MapGet("/v1/models", info.ListModels)
            .WithName("ListModels")
            .Produces<ModelListDto>();
        group.MapGet("/v1/models/{id}", (HttpContext context, string id) => info.GetModel(context, id))
            .WithName("RetrieveModel")
            .Produces<ModelDto>()
            .Produces<ErrorEnvelopeDto>(StatusCodes.Status404NotFound);
        if (options.MapHealth)
        {
            group.MapGet("/health", (Func<HttpContext, Task>)info.HealthAsync)
                .WithName("Health")
                .WithMetadata(
                    new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(HealthDto), ["application/json"]),
                    new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(HealthDto), ["application/json"]))
                .WithMetadata(OpenEndpointMetadata.Instance);
        }

        if (options.MapChatPage)
        {
            group.MapGet("/", ChatPage.WriteAsync)
                .WithName("ChatPage")
                .ExcludeFromDescription()
                .WithMetadata(OpenEndpointMetadata.Instance);
        }

        return group;
    }

    private static readonly ProducesResponseTypeMetadata BadRequest = new(StatusCodes.Status400BadRequest, typeof(ErrorEnvelopeDto), ["application/json"]);
    private static readonly ProducesResponseTypeMetadata Unavailable = new(StatusCodes.Status503ServiceUnavailable, typeof(ErrorEnvelopeDto), ["application/json"]);

    // A whole answer, or with "stream": true server-sent events of the same shape as chunks.
    private static ProducesResponseTypeMetadata Produces<T>() => new(StatusCodes.Status200OK, typeof(T), ["application/json", "text/event-stream"]);

    /// <summary>
    /// Puts an endpoint mapped elsewhere (such as <c>MapSpecAIMetrics</c>) behind the same checks as the API: Host and
    /// Origin, the API keys of <paramref name="options"/> (Prometheus sends them as <c>authorization.credentials</c>),
    /// JSON bodies within the limits, and the shutdown drain.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint's builder.</param>
    /// <param name="options">Settings as given to <c>MapOpenAIChatCompletions</c>.</param>
    /// <returns>The builder.</returns>
    /// <example><code>app.MapSpecAIMetrics().WithOpenAIServerGuard(options);</code></example>
    public static TBuilder WithOpenAIServerGuard<TBuilder>(this TBuilder builder, OpenAIChatCompletionsOptions options)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.Finally(new ServerGuard(options).Apply);
        return builder;
    }
}
