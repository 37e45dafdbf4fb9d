namespace SpecAI.Extensions.Gguf;

/// <summary>A tensor description as read: its ggml type id, shape, data offset and byte count (null for a type of unknown layout).</summary>
internal sealed record GgufRawTensor(string Name, uint Type, long[] Shape, long Offset, long? ByteCount);
