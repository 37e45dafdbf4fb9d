using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Produces the n choices of one request. With <c>specai.mode = superposed</c> one call returns n Superposed Decoding
/// suggestions (a speculative client puts them under <c>specai.suggestion_responses</c>); otherwise n independent
/// samples run as n concurrent requests, which a speculative client decodes together in shared batches.
/// </summary>
internal static class ChoiceGenerator
{
    /// <summary>Whether the options ask for Superposed Decoding.</summary>
    public static bool IsSuperposed(ChatOptions options)
        => options.AdditionalProperties?.TryGetValue(SpecAIKeys.Mode, out object? mode) == true
            && string.Equals(mode?.ToString()?.Trim(), SpecAIKeys.SuperposedMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>The n whole choices, in choice order.</summary>
    public static async Task<IReadOnlyList<ChatResponse>> GenerateAsync(IChatClient client, IList<ChatMessage> messages, ChatOptions options, int n, CancellationToken cancellationToken)
    {
        if (IsSuperposed(options))
        {
            var response = await client.GetResponseAsync(messages, WithSuggestions(options, n), cancellationToken).ConfigureAwait(false);
            if (response.AdditionalProperties?.TryGetValue(SpecAIKeys.SuggestionResponses, out object? list) == true && list is IReadOnlyList<ChatResponse> suggestions)
            {
                return suggestions;
            }

            // A client without Superposed Decoding answered once: the other choices are independent samples.
            var rest = await Task.WhenAll(Enumerable.Range(1, n - 1).Select(i => client.GetResponseAsync(messages, Sample(options, i), cancellationToken))).ConfigureAwait(false);
            return [response, .. rest];
        }

        return await Task.WhenAll(Enumerable.Range(0, n).Select(i => client.GetResponseAsync(messages, Sample(options, i), cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>
    /// The n choices' updates, each tagged with its choice index, as they come. Superposed suggestions are re-ranked
    /// at every pass, so they arrive whole once the last pass is done; independent samples stream token by token.
    /// </summary>
    public static async IAsyncEnumerable<(int Index, ChatResponseUpdate Update)> StreamAsync(IChatClient client, IList<ChatMessage> messages, ChatOptions options, int n, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (IsSuperposed(options))
        {
            var suggestions = await GenerateAsync(client, messages, options, n, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < suggestions.Count; i++)
            {
                foreach (var update in suggestions[i].ToChatResponseUpdates())
                {
                    yield return (i, update);
                }
            }

            yield break;
        }

        var channel = Channel.CreateUnbounded<(int, ChatResponseUpdate)>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pumps = Enumerable.Range(0, n).Select(i => PumpAsync(client, messages, Sample(options, i), i, channel.Writer, stop.Token)).ToArray();
        var all = Task.WhenAll(pumps);
        _ = all.ContinueWith(t => channel.Writer.TryComplete(t.Exception?.InnerException), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            // A failed or abandoned stream stops the other samples too.
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await all.ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Already reported through the channel, or cancelled by the caller.
            }
        }
    }

    private static async Task PumpAsync(IChatClient client, IList<ChatMessage> messages, ChatOptions options, int index, ChannelWriter<(int, ChatResponseUpdate)> writer, CancellationToken cancellationToken)
    {
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            await writer.WriteAsync((index, update), cancellationToken).ConfigureAwait(false);
        }
    }

    private static ChatOptions WithSuggestions(ChatOptions options, int n)
    {
        var copy = options.Clone();
        copy.AdditionalProperties = new AdditionalPropertiesDictionary(options.AdditionalProperties ?? new()) { [SpecAIKeys.Suggestions] = n };
        return copy;
    }

    /// <summary>Choice i's options: with a seed, seed + i, so the samples differ yet the request stays reproducible.</summary>
    private static ChatOptions Sample(ChatOptions options, int index)
    {
        if (index == 0 || options.Seed is not long seed)
        {
            return options;
        }

        var copy = options.Clone();
        copy.Seed = unchecked(seed + index);
        return copy;
    }
}
