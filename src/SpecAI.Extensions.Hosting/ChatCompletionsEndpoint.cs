using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SpecAI.Extensions.Hosting.Protocol;

namespace SpecAI.Extensions.Hosting;

/// <summary>
/// <c>POST /v1/chat/completions</c> over the registered <see cref="IChatClient"/>: whole answers or server-sent
/// events. The request's <see cref="HttpContext.RequestAborted"/> is the generation's cancellation token, so a
/// client that disconnects cancels its generation.
/// </summary>
internal sealed class ChatCompletionsEndpoint(OpenAIChatCompletionsOptions options)
{
    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var logger = context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger<ChatCompletionsEndpoint>() ?? (ILogger)NullLogger.Instance;
        var request = await EndpointRequest.ReadAsync(context, ChatCompletionRequest.ReadAsync).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        var client = ResolveClient(context.RequestServices, options);
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string model = ModelId(client, options) ?? request.Options.ModelId ?? "specai";
        string outcome = "ok";
        try
        {
            if (request.Choices > 1)
            {
                outcome = await ChoicesResponder.RespondAsync(context, client, request.Messages, request.Options, request.Choices, request.Stream, request.IncludeUsage, legacy: false, id, created, model, logger, cancellationToken).ConfigureAwait(false);
            }
            else if (request.Stream)
            {
                outcome = await StreamAsync(context, client, request, id, created, model, logger, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var response = await client.GetResponseAsync(request.Messages, request.Options, cancellationToken).ConfigureAwait(false);
                var body = ChatCompletionWriter.Create(id, created, response.ModelId ?? model, response);
                await ResponseJson.WriteAsync(context.Response, StatusCodes.Status200OK, body, ProtocolJsonContext.Default.CompletionDtoMessageChoiceDto, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller went away: the generation was cancelled with it; nobody is left to answer.
            outcome = "cancelled";
            logger.LogDebug("Chat completion {Id} cancelled: the client disconnected", id);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            var error = ErrorMapping.ToOpenAIError(ex);
            outcome = ErrorMapping.Outcome(error);
            LogFailure(logger, id, error, ex);
            await ErrorWriter.WriteAsync(context.Response, error, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ServerTelemetry.Record(outcome, request.Stream);
        }
    }

    /// <summary>The <see cref="IChatClient"/> these endpoints serve.</summary>
    public static IChatClient ResolveClient(IServiceProvider services, OpenAIChatCompletionsOptions options)
        => options.ServiceKey is null
            ? services.GetRequiredService<IChatClient>()
            : services.GetRequiredKeyedService<IChatClient>(options.ServiceKey);

    /// <summary>The model id to report: configured, else the client's default.</summary>
    public static string? ModelId(IChatClient client, OpenAIChatCompletionsOptions options)
        => options.ModelId ?? client.GetService<ChatClientMetadata>()?.DefaultModelId;

    private static async Task<string> StreamAsync(HttpContext context, IChatClient client, ChatCompletionRequest request, string id, long created, string model, ILogger logger, CancellationToken cancellationToken)
    {
        var updates = client.GetStreamingResponseAsync(request.Messages, request.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            // The first update is awaited before the 200 goes out, so a full queue or a bad setting still gets its status.
            bool more = await updates.MoveNextAsync().ConfigureAwait(false);
            await EventStream.StartAsync(context, cancellationToken).ConfigureAwait(false);
            var writer = new ChatCompletionChunkWriter(context.Response.Body, id, created, (more ? updates.Current.ModelId : null) ?? model, request.IncludeUsage);
            try
            {
                while (more)
                {
                    await writer.WriteAsync(updates.Current, cancellationToken).ConfigureAwait(false);
                    more = await updates.MoveNextAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Headers are gone: the failure travels as an error event instead of a status.
                var error = ErrorMapping.ToOpenAIError(ex);
                LogFailure(logger, id, error, ex);
                await writer.WriteErrorAsync(error, cancellationToken).ConfigureAwait(false);
                return ErrorMapping.Outcome(error);
            }

            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            return "ok";
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void LogFailure(ILogger logger, string id, OpenAIRequestException error, Exception ex)
    {
        if (error.StatusCode >= 500 && error.StatusCode != StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogError(ex, "Chat completion {Id} failed", id);
        }
        else
        {
            logger.LogInformation("Chat completion {Id} answered {Status}: {Message}", id, error.StatusCode, error.Message);
        }
    }
}
