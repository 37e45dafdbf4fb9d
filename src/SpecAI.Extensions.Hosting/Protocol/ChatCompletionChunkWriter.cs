using System.Text;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Writes a streamed answer as server-sent events of <c>chat.completion.chunk</c> objects, ending with
/// <c>data: [DONE]</c>. Text chunks also carry the client's running <c>specai.*</c> counters as an extra
/// <c>"specai"</c> object (OpenAI clients ignore it; the chat page shows live tokens/s and acceptance from it).
/// </summary>
internal sealed class ChatCompletionChunkWriter(Stream body, string id, long created, string model, bool includeUsage)
{
    private readonly SseWriter _events = new(body);
    private bool _roleSent;
    private int _toolCalls;
    private ChatFinishReason? _finishReason;
    private UsageDetails? _usage;

    /// <summary>Writes the chunks of one update (text, tool calls) and remembers its usage and finish reason.</summary>
    public async Task WriteAsync(ChatResponseUpdate update, CancellationToken cancellationToken)
    {
        _finishReason = update.FinishReason ?? _finishReason;
        var text = new StringBuilder();
        foreach (var content in update.Contents)
        {
            switch (content)
            {
                case TextContent t:
                    text.Append(t.Text);
                    break;
                case UsageContent u:
                    (_usage ??= new UsageDetails()).Add(u.Details);
                    break;
                case FunctionCallContent call:
                    if (text.Length > 0)
                    {
                        await WriteTextAsync(text.ToString(), update, cancellationToken).ConfigureAwait(false);
                        text.Clear();
                    }

                    var delta = new MessageDto { Role = Role(), ToolCalls = [ResponseJson.ToolCall(call, _toolCalls++)] };
                    await WriteAsync(Chunk(new DeltaChoiceDto { Index = 0, Delta = delta }, counters: null), cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        if (text.Length > 0)
        {
            await WriteTextAsync(text.ToString(), update, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the finishing chunk, the usage chunk when asked for, and <c>[DONE]</c>.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        var delta = _roleSent ? new MessageDto() : new MessageDto { Role = Role(), Content = ContentField.Of(string.Empty) };
        var finish = new DeltaChoiceDto { Index = 0, Delta = delta, FinishReason = ResponseJson.FinishReason(_finishReason, _toolCalls > 0) };
        await WriteAsync(Chunk(finish, _usage?.AdditionalCounts), cancellationToken).ConfigureAwait(false);
        if (includeUsage)
        {
            var usage = new CompletionDto<DeltaChoiceDto>
            {
                Id = id,
                Object = "chat.completion.chunk",
                Created = created,
                Model = model,
                Choices = [],
                Usage = UsageField.Of(ResponseJson.Usage(_usage)),
            };
            await WriteAsync(usage, cancellationToken).ConfigureAwait(false);
        }

        await _events.DoneAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes an error event (<c>data: {"error": {...}}</c>) when the answer fails after it started streaming.</summary>
    public Task WriteErrorAsync(OpenAIRequestException error, CancellationToken cancellationToken)
        => _events.WriteErrorAsync(error, cancellationToken);

    private Task WriteTextAsync(string text, ChatResponseUpdate update, CancellationToken cancellationToken)
    {
        var delta = new MessageDto { Role = Role(), Content = ContentField.Of(text) };
        var counters = ResponseJson.Counters(update.AdditionalProperties);
        return WriteAsync(Chunk(new DeltaChoiceDto { Index = 0, Delta = delta }, counters), cancellationToken);
    }

    /// <summary><c>"assistant"</c> on the first delta only.</summary>
    private string? Role()
    {
        if (_roleSent)
        {
            return null;
        }

        _roleSent = true;
        return "assistant";
    }

    private CompletionDto<DeltaChoiceDto> Chunk(DeltaChoiceDto choice, IEnumerable<KeyValuePair<string, long>>? counters)
    {
        var (specai, timings) = ResponseJson.SpecAIObject(counters);
        return new()
        {
            Id = id,
            Object = "chat.completion.chunk",
            Created = created,
            Model = model,
            Choices = [choice],
            Usage = includeUsage ? UsageField.Null : default,
            Specai = specai,
            Timings = timings,
        };
    }

    private Task WriteAsync(CompletionDto<DeltaChoiceDto> chunk, CancellationToken cancellationToken)
        => _events.WriteAsync(chunk, ProtocolJsonContext.Default.CompletionDtoDeltaChoiceDto, cancellationToken);
}
