using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Streams several choices as server-sent events: <c>chat.completion.chunk</c> objects with a <c>delta</c>, or legacy
/// <c>text_completion</c> objects with <c>text</c>; every chunk carries its choice's <c>index</c>, each choice ends with
/// its own <c>finish_reason</c>, then (when asked) one usage chunk for all choices, then <c>data: [DONE]</c>.
/// </summary>
internal sealed class ChoicesChunkWriter(Stream body, string id, long created, string model, int choices, bool legacy, bool includeUsage)
{
    private readonly SseWriter _events = new(body);
    private readonly bool[] _roleSent = new bool[choices];
    private readonly ChatFinishReason?[] _finish = new ChatFinishReason?[choices];
    private readonly UsageDetails?[] _usage = new UsageDetails?[choices];

    /// <summary>Writes the text of one update of choice <paramref name="index"/>, remembering its usage and finish reason.</summary>
    public async Task WriteAsync(int index, ChatResponseUpdate update, CancellationToken cancellationToken)
    {
        _finish[index] = update.FinishReason ?? _finish[index];
        foreach (var usage in update.Contents.OfType<UsageContent>())
        {
            _usage[index] = usage.Details;
        }

        string text = update.Text;
        if (text.Length > 0)
        {
            await ChoiceAsync(index, text, finish: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes each choice's finishing chunk, the usage chunk when asked for, and <c>[DONE]</c>.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < choices; i++)
        {
            string reason = ResponseJson.FinishReason(_finish[i], hasToolCalls: false);
            await ChoiceAsync(i, legacy ? string.Empty : null, reason, cancellationToken).ConfigureAwait(false);
        }

        if (includeUsage)
        {
            var usage = UsageField.Of(ResponseJson.Usage(ChoicesWriter.Sum(_usage)));
            await (legacy
                ? _events.WriteAsync(Chunk<TextChoiceDto>([], usage), ProtocolJsonContext.Default.CompletionDtoTextChoiceDto, cancellationToken)
                : _events.WriteAsync(Chunk<DeltaChoiceDto>([], usage), ProtocolJsonContext.Default.CompletionDtoDeltaChoiceDto, cancellationToken)).ConfigureAwait(false);
        }

        await _events.DoneAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes an error event when the answer fails after it started streaming.</summary>
    public Task WriteErrorAsync(OpenAIRequestException error, CancellationToken cancellationToken)
        => _events.WriteErrorAsync(error, cancellationToken);

    private Task ChoiceAsync(int index, string? text, string? finish, CancellationToken cancellationToken)
    {
        var usage = includeUsage ? UsageField.Null : default;
        if (legacy)
        {
            var choice = new TextChoiceDto { Text = text!, Index = index, FinishReason = finish };
            return _events.WriteAsync(Chunk<TextChoiceDto>([choice], usage), ProtocolJsonContext.Default.CompletionDtoTextChoiceDto, cancellationToken);
        }

        string? role = null;
        if (!_roleSent[index])
        {
            role = "assistant";
            _roleSent[index] = true;
        }

        var delta = new MessageDto { Role = role, Content = text is null ? default : ContentField.Of(text) };
        var chunk = Chunk<DeltaChoiceDto>([new DeltaChoiceDto { Index = index, Delta = delta, FinishReason = finish }], usage);
        return _events.WriteAsync(chunk, ProtocolJsonContext.Default.CompletionDtoDeltaChoiceDto, cancellationToken);
    }

    private CompletionDto<TChoice> Chunk<TChoice>(IReadOnlyList<TChoice> list, UsageField usage) => new()
    {
        Id = id,
        Object = legacy ? "text_completion" : "chat.completion.chunk",
        Created = created,
        Model = model,
        Choices = list,
        Usage = usage,
    };
}
