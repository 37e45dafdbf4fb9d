using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.Superposed;

namespace SpecAI.Extensions;

/// <summary>Superposed Decoding suggestions and raw-text prompts.</summary>
public sealed partial class SpeculativeChatClient
{
    /// <summary>
    /// k suggestions for the same prompt from ONE model pass per token (Superposed Decoding, Shen et al., NeurIPS 2024,
    /// arXiv:2405.18400): the pass's input superposes the k drafts' latest token embeddings, each draft is expanded by
    /// the pass's top-k tokens and the k best of the k^2 candidates survive, scored by the model's log probability
    /// interpolated with an n-gram model of the prompt. For autocomplete. LOSSY: suggestions are not samples of the
    /// target's law (each response carries <c>specai.lossy = true</c>); they are distinct token sequences, best first.
    /// </summary>
    /// <param name="messages">The conversation (chat template applied), or with <see cref="SpeculativeChatOptionKeys.RawPrompt"/> the text to continue.</param>
    /// <param name="options">
    /// <see cref="SpeculativeChatOptionKeys.Suggestions"/> (k, default 3), <see cref="ChatOptions.MaxOutputTokens"/>
    /// (default 16), <see cref="ChatOptions.StopSequences"/>. Suggestions are deterministic: temperature, top-p and
    /// seed do not apply (the score uses the paper's temperature, <see cref="SuperposedSettings.DefaultTemperature"/>).
    /// </param>
    /// <param name="cancellationToken">Cancels between passes.</param>
    /// <returns>k responses, best score first, each with its own usage (input tokens = the prompt, output = its tokens).</returns>
    /// <exception cref="Engine.EmbeddingInputNotSupportedException">The target's architecture or token embedding type cannot take embedding input.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public async Task<IReadOnlyList<ChatResponse>> GetSuggestionsAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var settings = SuperposedSettingsFor(options);
        int[] prompt = TokenizePrompt(messages, options);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = SpeculationTelemetry.ActivitySource.StartActivity("specai.superposed");
        activity?.SetTag("gen_ai.request.model", Metadata.DefaultModelId);
        activity?.SetTag("specai.mode", SpeculativeChatOptionKeys.SuperposedMode);
        activity?.SetTag("specai.lossless", false);
        activity?.SetTag("specai.suggestions", settings.Suggestions);

        // One work item on the models' thread between ticks: a request's passes are few and short (autocomplete).
        var result = await _scheduler.InvokeAsync(() => _engine.Superpose(prompt, settings, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        string modelId = Metadata.DefaultModelId ?? _target.ModelName;
        var created = DateTimeOffset.UtcNow;
        var responses = new ChatResponse[result.Suggestions.Count];
        for (int i = 0; i < responses.Length; i++)
        {
            responses[i] = ToResponse(result, i, options?.StopSequences, modelId, created);
        }

        activity?.SetTag("specai.superposed_passes", result.Passes);
        _logger.LogDebug("Superposed Decoding: {Count} suggestions, prompt {Prompt} tokens ({Cached} cached), {Passes} passes, {Milliseconds:0.0} ms", responses.Length, result.PromptTokens, result.CachedPromptTokens, result.Passes, elapsed.TotalMilliseconds);
        return responses;
    }

    /// <summary>Superposed Decoding over prompt tokens, returning tokens (benchmarks score them under the target).</summary>
    internal Task<SuperposedResult> SuperposeTokensAsync(int[] prompt, SuperposedSettings settings, CancellationToken cancellationToken = default)
        => _scheduler.InvokeAsync(() => _engine.Superpose(prompt, settings, cancellationToken));

    /// <summary>Generates raw tokens after prompt tokens through the scheduler (benchmarks compare samples with suggestions).</summary>
    internal async Task<int[]> GenerateTokensAsync(int[] prompt, ChatOptions? options, CancellationToken cancellationToken = default)
    {
        var request = Resolve(prompt, options);
        var statistics = new SpeculationStatistics();
        var tokens = new List<int>();
        await foreach (int token in _scheduler.GenerateAsync(request, statistics, cancellationToken).ConfigureAwait(false))
        {
            tokens.Add(token);
        }

        return tokens.ToArray();
    }

    /// <summary>Whether the options ask for <c>specai.mode = superposed</c>.</summary>
    internal static bool IsSuperposed(ChatOptions? options)
        => options?.AdditionalProperties?.TryGetValue(SpeculativeChatOptionKeys.Mode, out object? mode) == true
            && string.Equals(mode?.ToString()?.Trim(), SpeculativeChatOptionKeys.SuperposedMode, StringComparison.OrdinalIgnoreCase);

    private static bool IsRawPrompt(ChatOptions? options)
        => options?.AdditionalProperties?.TryGetValue(SpeculativeChatOptionKeys.RawPrompt, out object? raw) == true
            && raw switch
            {
                bool b => b,
                string s => bool.TryParse(s, out bool parsed) ? parsed : throw new ArgumentException($"ChatOptions.AdditionalProperties['{SpeculativeChatOptionKeys.RawPrompt}'] = '{s}' is not a boolean.", nameof(options)),
                null => false,
                _ => throw new ArgumentException($"ChatOptions.AdditionalProperties['{SpeculativeChatOptionKeys.RawPrompt}'] must be a boolean.", nameof(options)),
            };

    /// <summary>The messages' text as one prompt, without a chat template (BOS added when the model wants it).</summary>
    private int[] TokenizeRaw(IEnumerable<ChatMessage> messages)
    {
        string text = string.Concat(messages.Select(m => m.Text));
        int[] tokens = _target.Weights.Tokenize(text, _target.Weights.Vocab.ShouldAddBOS, false, Encoding.UTF8).Select(t => (int)t).ToArray();
        return tokens.Length > 0 ? tokens : throw new ArgumentException("The prompt is empty and the model adds no BOS token.", nameof(messages));
    }

    /// <summary>mode = superposed through <see cref="GetResponseAsync"/>: the best suggestion, all k under <see cref="SpeculativeChatOptionKeys.SuggestionResponses"/>.</summary>
    private async Task<ChatResponse> GetSuperposedResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var all = await GetSuggestionsAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var best = all[0];
        var response = new ChatResponse(best.Messages)
        {
            ResponseId = best.ResponseId,
            ModelId = best.ModelId,
            CreatedAt = best.CreatedAt,
            FinishReason = best.FinishReason,
            Usage = best.Usage,
            AdditionalProperties = new AdditionalPropertiesDictionary(best.AdditionalProperties!)
            {
                [SpeculativeChatOptionKeys.SuggestionResponses] = all,
            },
        };
        return response;
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamSuperposedAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The k drafts are re-ranked at every pass, so no token is final before the last one: the best suggestion
        // streams once it is complete.
        var response = await GetSuperposedResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    private SuperposedSettings SuperposedSettingsFor(ChatOptions? options)
    {
        int k = 3;
        if (options?.AdditionalProperties?.TryGetValue(SpeculativeChatOptionKeys.Suggestions, out object? value) == true && value is not null)
        {
            try
            {
                k = value is string text ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : Convert.ToInt32(value, CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
            {
                throw new ArgumentException($"ChatOptions.AdditionalProperties['{SpeculativeChatOptionKeys.Suggestions}'] = '{value}' is not an integer.", nameof(options), ex);
            }
        }

        var settings = new SuperposedSettings
        {
            Suggestions = k,
            MaxTokens = options?.MaxOutputTokens ?? 16,
            StopTokens = _stopTokens,
        };
        try
        {
            settings.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ArgumentException($"Superposed Decoding: {ex.Message}", nameof(options), ex);
        }

        return settings;
    }

    private ChatResponse ToResponse(SuperposedResult result, int index, IList<string>? stopSequences, string modelId, DateTimeOffset created)
    {
        var suggestion = result.Suggestions[index];
        var decoder = new LLamaTokenTextDecoder(_target.Weights);
        var stops = new StopSequenceFilter(stopSequences?.ToArray());
        var text = new StringBuilder();
        int used = 0;
        foreach (int token in suggestion.Tokens)
        {
            decoder.Add(token);
            used++;
            text.Append(stops.Push(decoder.Read()));
            if (stops.Stopped)
            {
                break;
            }
        }

        if (!stops.Stopped)
        {
            text.Append(stops.Flush());
        }

        var counts = new AdditionalPropertiesDictionary<long>
        {
            [SpeculativeChatOptionKeys.SuperposedPasses] = result.Passes,
            [SpeculativeChatOptionKeys.LossySteps] = used,
        };
        var message = new ChatMessage(ChatRole.Assistant, text.ToString()) { MessageId = "msg-" + Guid.NewGuid().ToString("N") };
        return new ChatResponse(message)
        {
            ResponseId = "sup-" + Guid.NewGuid().ToString("N"),
            ModelId = modelId,
            CreatedAt = created,
            FinishReason = suggestion.Stopped || stops.Stopped ? ChatFinishReason.Stop : ChatFinishReason.Length,
            Usage = new UsageDetails
            {
                InputTokenCount = result.PromptTokens,
                OutputTokenCount = used,
                TotalTokenCount = result.PromptTokens + used,
                CachedInputTokenCount = result.CachedPromptTokens,
                AdditionalCounts = counts,
            },
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [SpeculativeChatOptionKeys.Lossy] = true,
                [SpeculativeChatOptionKeys.SuggestionIndex] = index,
                [SpeculativeChatOptionKeys.SuggestionScore] = suggestion.Score,
            },
        };
    }
}
