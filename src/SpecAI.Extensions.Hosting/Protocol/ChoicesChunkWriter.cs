using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Streams several choices as server-sent events: <c>chat.completion.chunk</c> objects with a <c>delta</c>, or legacy
/// <c>text_completion</c> objects with <c>text</c>; every chunk carries its choice's <c>index</c>, each choice ends with
/// its own <c>finish_reason</c>, then (when asked) one usage chunk for all choices, then <c>data: [DONE]</c>.
/// </summary>
internal sealed class ChoicesChunkWriter(Stream body, string id, long created, string model, int choices, bool legacy, bool includeUsage)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
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
            await WriteChunkAsync(w => Choice(w, index, text, finish: null), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes each choice's finishing chunk, the usage chunk when asked for, and <c>[DONE]</c>.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < choices; i++)
        {
            string reason = ResponseJson.FinishReason(_finish[i], hasToolCalls: false);
            int index = i;
            await WriteChunkAsync(w => Choice(w, index, legacy ? string.Empty : null, reason), cancellationToken).ConfigureAwait(false);
        }

        if (includeUsage)
        {
            await WriteChunkAsync(w =>
            {
                Header(w);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                ResponseJson.WriteUsage(w, ChoicesWriter.Sum(_usage));
                w.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
        }

        await body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes an error event when the answer fails after it started streaming.</summary>
    public Task WriteErrorAsync(OpenAIRequestException error, CancellationToken cancellationToken)
        => WriteChunkAsync(w => ErrorWriter.WriteBody(w, error), cancellationToken);

    private void Choice(Utf8JsonWriter w, int index, string? text, string? finish)
    {
        Header(w);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        if (legacy)
        {
            w.WriteString("text", text);
            w.WriteNumber("index", index);
        }
        else
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            if (!_roleSent[index])
            {
                w.WriteString("role", "assistant");
                _roleSent[index] = true;
            }

            if (text is not null)
            {
                w.WriteString("content", text);
            }

            w.WriteEndObject();
        }

        w.WriteNull("logprobs");
        if (finish is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finish);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage)
        {
            w.WriteNull("usage");
        }

        w.WriteEndObject();
    }

    private void Header(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", legacy ? "text_completion" : "chat.completion.chunk");
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

        await body.WriteAsync("data: "u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync("\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
