using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Writes a streamed answer as server-sent events of <c>chat.completion.chunk</c> objects, ending with
/// <c>data: [DONE]</c>. Text chunks also carry the client's running <c>specai.*</c> counters as an extra
/// <c>"specai"</c> object (OpenAI clients ignore it; the chat page shows live tokens/s and acceptance from it).
/// </summary>
internal sealed class ChatCompletionChunkWriter(Stream body, string id, long created, string model, bool includeUsage)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly List<KeyValuePair<string, long>> _counters = new();
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

                    await WriteChunkAsync(w => WriteDelta(w, w2 =>
                    {
                        w2.WriteStartArray("tool_calls");
                        ResponseJson.WriteToolCall(w2, call, _toolCalls++);
                        w2.WriteEndArray();
                    }), cancellationToken).ConfigureAwait(false);
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
        string reason = ResponseJson.FinishReason(_finishReason, _toolCalls > 0);
        await WriteChunkAsync(w =>
        {
            WriteHeader(w);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            if (!_roleSent)
            {
                w.WriteString("role", "assistant");
                w.WriteString("content", string.Empty);
            }

            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", reason);
            w.WriteEndObject();
            w.WriteEndArray();
            if (includeUsage)
            {
                w.WriteNull("usage");
            }

            if (_usage?.AdditionalCounts is { } counts)
            {
                ResponseJson.WriteCounters(w, counts);
            }

            w.WriteEndObject();
        }, cancellationToken).ConfigureAwait(false);

        if (includeUsage)
        {
            await WriteChunkAsync(w =>
            {
                WriteHeader(w);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                ResponseJson.WriteUsage(w, _usage);
                w.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
        }

        await body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes an error event (<c>data: {"error": {...}}</c>) when the answer fails after it started streaming.</summary>
    public Task WriteErrorAsync(OpenAIRequestException error, CancellationToken cancellationToken)
        => WriteChunkAsync(w => ErrorWriter.WriteBody(w, error), cancellationToken);

    private Task WriteTextAsync(string text, ChatResponseUpdate update, CancellationToken cancellationToken)
    {
        _counters.Clear();
        _counters.AddRange(ResponseJson.Counters(update.AdditionalProperties));
        return WriteChunkAsync(w => WriteDelta(w, w2 => w2.WriteString("content", text)), cancellationToken);
    }

    private void WriteDelta(Utf8JsonWriter w, Action<Utf8JsonWriter> delta)
    {
        WriteHeader(w);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (!_roleSent)
        {
            w.WriteString("role", "assistant");
            _roleSent = true;
        }

        delta(w);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteNull("finish_reason");
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage)
        {
            w.WriteNull("usage");
        }

        ResponseJson.WriteCounters(w, _counters);
        _counters.Clear();
        w.WriteEndObject();
    }

    private void WriteHeader(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteString("system_fingerprint", "specai");
    }

    private async Task WriteChunkAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_buffer))
        {
            write(writer);
        }

        await body.WriteAsync(DataPrefix, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(EventEnd, cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
