using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Server-sent events framing for the streams: <c>data: {json}\n\n</c> per chunk, flushed at once, and
/// <c>data: [DONE]\n\n</c> at the end. The chunks themselves are serialized by <see cref="ProtocolJsonContext"/>.
/// </summary>
/// <remarks>
/// ASP.NET Core's <c>TypedResults.ServerSentEvents</c> is not used: its event bytes are the same, but it would change
/// the headers (<c>Cache-Control: no-cache,no-store</c>, <c>Pragma</c>, <c>Content-Encoding: identity</c> where we send
/// <c>no-cache</c> with <c>X-Accel-Buffering: no</c>), and it sets them before pulling the first item, while we await
/// the first update before touching the response so that a full queue or a bad setting still gets a clean error answer.
/// </remarks>
internal sealed class SseWriter(Stream body)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    /// <summary>Writes one event holding <paramref name="value"/>.</summary>
    public async Task WriteAsync<T>(T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        _buffer.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(_buffer))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        _buffer.Write("\n\n"u8);
        await body.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes an error event (<c>data: {"error": {...}}</c>).</summary>
    public Task WriteErrorAsync(OpenAIRequestException error, CancellationToken cancellationToken)
        => WriteAsync(ErrorWriter.Body(error), ProtocolJsonContext.Default.ErrorEnvelopeDto, cancellationToken);

    /// <summary>Writes <c>data: [DONE]</c>.</summary>
    public async Task DoneAsync(CancellationToken cancellationToken)
    {
        await body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
