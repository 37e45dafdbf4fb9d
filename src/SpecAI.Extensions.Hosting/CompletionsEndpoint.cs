using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SpecAI.Extensions.Hosting.Protocol;

namespace SpecAI.Extensions.Hosting;

/// <summary>
/// <c>POST /v1/completions</c> (OpenAI's legacy text completions, what editor autocomplete clients call) over the
/// registered <see cref="IChatClient"/>: the prompt travels as one user message marked <c>specai.raw_prompt</c>, which a
/// speculative client tokenizes without its chat template (other clients apply theirs). <c>n</c> choices are n
/// independent samples decoded together, or n Superposed Decoding suggestions with <c>"specai.mode": "superposed"</c>.
/// </summary>
internal sealed class CompletionsEndpoint(OpenAIChatCompletionsOptions options)
{
    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var logger = context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger<CompletionsEndpoint>() ?? (ILogger)NullLogger.Instance;
        var request = await EndpointRequest.ReadAsync(context, CompletionRequest.ReadAsync).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        var client = ChatCompletionsEndpoint.ResolveClient(context.RequestServices, options);
        string id = "cmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string model = ChatCompletionsEndpoint.ModelId(client, options) ?? request.Options.ModelId ?? "specai";
        string outcome = "ok";
        try
        {
            List<ChatMessage> messages = [new(ChatRole.User, request.Prompt)];
            outcome = await ChoicesResponder.RespondAsync(context, client, messages, request.Options, request.Choices, request.Stream, request.IncludeUsage, legacy: true, id, created, model, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = "cancelled";
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            var error = ErrorMapping.ToOpenAIError(ex);
            outcome = ErrorMapping.Outcome(error);
            logger.LogInformation(ex, "Completion {Id} answered {Status}: {Message}", id, error.StatusCode, error.Message);
            await ErrorWriter.WriteAsync(context.Response, error, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ServerTelemetry.Record(outcome, request.Stream);
        }
    }
}
