using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SpecAI.Extensions.Hosting.Protocol;

namespace SpecAI.Extensions.Hosting.Security;

/// <summary>
/// Wraps every endpoint mapped with one <see cref="OpenAIChatCompletionsOptions"/> (as a convention, so endpoints added
/// to the group later are covered too), in this order: Host, Origin (CORS preflight answered here), shutdown, API key,
/// content type and limits of the body. Then the endpoint runs with a <see cref="HttpContext.RequestAborted"/> that
/// also fires when the shutdown drain time is over; a stream cut that way ends with an error event and <c>[DONE]</c>.
/// </summary>
internal sealed class ServerGuard(OpenAIChatCompletionsOptions options)
{
    private readonly HostPolicy _hosts = new(options);
    private readonly ApiKeyCheck _keys = new(options.ApiKeys);
    private readonly RequestLimits _limits = new(options);
    private readonly object _gate = new();
    private CancellationTokenSource? _drained;

    /// <summary>Wraps the endpoint's delegate (a <c>Finally</c> convention: it runs after the endpoint's own).</summary>
    public void Apply(EndpointBuilder endpoint)
    {
        var next = endpoint.RequestDelegate ?? throw new InvalidOperationException($"The endpoint '{endpoint.DisplayName}' has no request delegate.");
        bool open = endpoint.Metadata.OfType<OpenEndpointMetadata>().Any();
        endpoint.RequestDelegate = context => InvokeAsync(context, next, open);
        if (endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault() is { AcceptCorsPreflight: false } methods)
        {
            // Lets routing send a CORS preflight (OPTIONS with Access-Control-Request-Method) here, where it is answered.
            endpoint.Metadata.Add(new HttpMethodMetadata(methods.HttpMethods, acceptCorsPreflight: true));
        }
    }

    private async Task InvokeAsync(HttpContext context, RequestDelegate next, bool open)
    {
        var request = context.Request;
        var cancellationToken = context.RequestAborted;
        if (!_hosts.IsHostAllowed(context))
        {
            await RefuseAsync(context, new OpenAIRequestException(StatusCodes.Status421MisdirectedRequest, $"The host '{request.Host.Host}' is not served here (allowed hosts: --allowed-hosts, AllowedHosts).", null, code: "invalid_host")).ConfigureAwait(false);
            return;
        }

        string? origin = request.Headers.Origin;
        if (!string.IsNullOrEmpty(origin) && !HostPolicy.IsSameOrigin(request, origin))
        {
            if (!_hosts.IsListedOrigin(origin))
            {
                await RefuseAsync(context, new OpenAIRequestException(StatusCodes.Status403Forbidden, $"Requests from the origin '{origin}' are not allowed (allowed origins: --cors-origins, CorsOrigins).", null, code: "invalid_origin")).ConfigureAwait(false);
                return;
            }

            var headers = context.Response.Headers;
            headers.AccessControlAllowOrigin = origin;
            headers.Vary = "Origin";
            if (HttpMethods.IsOptions(request.Method))
            {
                headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
                headers.AccessControlAllowHeaders = request.Headers.AccessControlRequestHeaders.Count > 0 ? request.Headers.AccessControlRequestHeaders : "authorization, content-type";
                headers.AccessControlMaxAge = "600";
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }
        }

        if (!open && IsDraining(context))
        {
            await RefuseAsync(context, new OpenAIRequestException(StatusCodes.Status503ServiceUnavailable, "The server is shutting down.", null, OpenAIRequestException.ServerError, "server_shutting_down")).ConfigureAwait(false);
            return;
        }

        if (!open && _keys.Enabled && !_keys.IsAuthorized(request))
        {
            // One answer for a missing and a wrong key.
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await RefuseAsync(context, new OpenAIRequestException(StatusCodes.Status401Unauthorized, "Incorrect or missing API key: send it as 'Authorization: Bearer KEY'.", null, code: "invalid_api_key")).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
        {
            if (await _limits.CheckAsync(request, cancellationToken).ConfigureAwait(false) is { } error)
            {
                await RefuseAsync(context, error).ConfigureAwait(false);
                return;
            }
        }

        var drained = DrainToken(context);
        if (!drained.CanBeCanceled)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drained);
        context.RequestAborted = linked.Token;
        await next(context).ConfigureAwait(false);
        if (drained.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await EndCutRequestAsync(context.Response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether shutdown has begun (the host's <c>ApplicationStopping</c>).</summary>
    public static bool IsDraining(HttpContext context)
        => context.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping.IsCancellationRequested == true;

    private static async Task RefuseAsync(HttpContext context, OpenAIRequestException error)
    {
        ServerTelemetry.Record(error.Code ?? "refused", stream: false);
        await ErrorWriter.WriteAsync(context.Response, error, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A token that fires <see cref="OpenAIChatCompletionsOptions.ShutdownDrainTimeout"/> after shutdown begins.</summary>
    private CancellationToken DrainToken(HttpContext context)
    {
        if (_drained is { } existing)
        {
            return existing.Token;
        }

        var lifetime = context.RequestServices.GetService<IHostApplicationLifetime>();
        if (lifetime is null)
        {
            return CancellationToken.None;
        }

        lock (_gate)
        {
            if (_drained is null)
            {
                var drained = new CancellationTokenSource();
                var timeout = options.ShutdownDrainTimeout;
                lifetime.ApplicationStopping.Register(() => drained.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero));
                _drained = drained;
            }

            return _drained.Token;
        }
    }

    /// <summary>Finishes a request the drain cut: a stream gets an error event and <c>[DONE]</c>, anything else a 503.</summary>
    private static async Task EndCutRequestAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        var error = new OpenAIRequestException(StatusCodes.Status503ServiceUnavailable, "The server shut down before the answer was complete.", null, OpenAIRequestException.ServerError, "server_shutting_down");
        try
        {
            if (!response.HasStarted)
            {
                await ErrorWriter.WriteAsync(response, error, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true)
            {
                using var buffer = new MemoryStream();
                buffer.Write("data: "u8);
                JsonSerializer.Serialize(buffer, ErrorWriter.Body(error), ProtocolJsonContext.Default.ErrorEnvelopeDto);

                buffer.Write("\n\ndata: [DONE]\n\n"u8);
                await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The connection closed meanwhile: nobody is left to tell.
        }
    }
}
