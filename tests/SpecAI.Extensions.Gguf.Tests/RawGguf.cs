using System.Text;

namespace SpecAI.Extensions.Gguf.Tests;

/// <summary>Writes GGUF bytes field by field, so tests can forge headers the writer would refuse to produce.</summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _writer;

    public RawGguf(ulong tensorCount, ulong kvCount, uint version = 3)
    {
        _writer = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);
        _writer.Write(GgufReader.Magic);
        _writer.Write(version);
        _writer.Write(tensorCount);
        _writer.Write(kvCount);
    }

    public RawGguf String(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        _writer.Write((ulong)bytes.Length);
        _writer.Write(bytes);
        return this;
    }

    public RawGguf KeyUInt32(string key, uint value)
    {
        String(key);
        _writer.Write((uint)GgufValueType.UInt32);
        _writer.Write(value);
        return this;
    }

    /// <summary>An array header claiming <paramref name="count"/> elements, followed by <paramref name="payload"/> bytes.</summary>
    public RawGguf KeyArray(string key, GgufValueType elementType, ulong count, int payload)
    {
        String(key);
        _writer.Write((uint)GgufValueType.Array);
        _writer.Write((uint)elementType);
        _writer.Write(count);
        _writer.Write(new byte[payload]);
        return this;
    }

    public RawGguf Tensor(string name, GgufTensorType type, ulong[] shape, ulong offset)
    {
        String(name);
        _writer.Write((uint)shape.Length);
        foreach (ulong n in shape)
        {
            _writer.Write(n);
        }

        _writer.Write((uint)type);
        _writer.Write(offset);
        return this;
    }

    /// <summary>Pads to 32 bytes and appends <paramref name="dataBytes"/> bytes of tensor data.</summary>
    public byte[] Data(int dataBytes)
    {
        _writer.Flush();
        while (_stream.Length % 32 != 0)
        {
            _stream.WriteByte(0);
        }

        _stream.Write(new byte[dataBytes]);
        return _stream.ToArray();
    }
}
