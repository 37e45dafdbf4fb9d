using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SpecAI.Extensions.Hosting.Protocol;

namespace SpecAI.Extensions.Hosting;

/// <summary>Answers a request for n choices (chat with <c>n</c> > 1, and every legacy completion), whole or streamed.</summary>
internal static class ChoicesResponder
{
    /// <summary>Generates and writes the choices; returns the outcome tag. Failures before the first byte propagate.</summary>
    public static async Task<string> RespondAsync(HttpContext context, IChatClient client, IList<ChatMessage> messages, ChatOptions options, int n, bool stream, bool includeUsage, bool legacy, string id, long created, string model, ILogger logger, CancellationToken cancellationToken)
    {
        if (!stream)
        {
            var choices = await ChoiceGenerator.GenerateAsync(client, messages, options, n, cancellationToken).ConfigureAwait(false);
            string answered = choices[0].ModelId ?? model;
            await (legacy
                ? ResponseJson.WriteAsync(context.Response, StatusCodes.Status200OK, ChoicesWriter.Text(id, created, answered, choices), ProtocolJsonContext.Default.CompletionDtoTextChoiceDto, cancellationToken)
                : ResponseJson.WriteAsync(context.Response, StatusCodes.Status200OK, ChoicesWriter.Chat(id, created, answered, choices), ProtocolJsonContext.Default.CompletionDtoMessageChoiceDto, cancellationToken)).ConfigureAwait(false);
            return "ok";
        }

        var updates = ChoiceGenerator.StreamAsync(client, messages, options, n, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            // The first update is awaited before the 200 goes out, so a full queue or a bad setting still gets its status.
            bool more = await updates.MoveNextAsync().ConfigureAwait(false);
            await EventStream.StartAsync(context, cancellationToken).ConfigureAwait(false);
            var writer = new ChoicesChunkWriter(context.Response.Body, id, created, (more ? updates.Current.Update.ModelId : null) ?? model, n, legacy, includeUsage);
            try
            {
                while (more)
                {
                    await writer.WriteAsync(updates.Current.Index, updates.Current.Update, cancellationToken).ConfigureAwait(false);
                    more = await updates.MoveNextAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var error = ErrorMapping.ToOpenAIError(ex);
                logger.LogInformation(ex, "Completion {Id} failed while streaming: {Message}", id, error.Message);
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
}
