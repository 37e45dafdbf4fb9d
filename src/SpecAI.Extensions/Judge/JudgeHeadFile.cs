using System.Buffers.Binary;
using System.Text;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// The judge head file format. v2 (written): magic "SPJH", int32 version 2, int32 hidden size n, float64
/// threshold, float32 bias, byte has-target (0/1) [int32 name byte count, UTF-8 name, int32 embedding size,
/// int32 vocabulary size, uint64 vocabulary hash], n float32 weights, uint64 FNV-1a checksum of every byte
/// before it. v1 (read only): magic, int32 version 1, int32 n, float64 threshold, float32 bias, n float32 weights.
/// All little endian; nothing may follow.
/// </summary>
/// <remarks>Every length is checked against the bytes left before anything is allocated, so a corrupt file costs at most its own size.</remarks>
internal static class JudgeHeadFile
{
    public const int CurrentVersion = 2;
    public const int MaxHiddenSize = 1 << 20;
    public const int MaxFileBytes = 64 + JudgeTargetFingerprint.MaxModelNameBytes + 4 * MaxHiddenSize;
    private static ReadOnlySpan<byte> Magic => "SPJH"u8;

    public static byte[] Write(JudgeHead head)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(CurrentVersion);
            writer.Write(head.HiddenSize);
            writer.Write(head.Threshold);
            writer.Write(head.Bias);
            writer.Write((byte)(head.Target is null ? 0 : 1));
            if (head.Target is { } target)
            {
                byte[] name = Encoding.UTF8.GetBytes(target.ModelName);
                if (name.Length > JudgeTargetFingerprint.MaxModelNameBytes)
                {
                    throw new ArgumentException($"The target's model name is {name.Length} UTF-8 bytes; at most {JudgeTargetFingerprint.MaxModelNameBytes} are stored.", nameof(head));
                }

                writer.Write(name.Length);
                writer.Write(name);
                writer.Write(target.EmbeddingSize);
                writer.Write(target.VocabularySize);
                writer.Write(target.VocabularyHash);
            }

            foreach (float w in head.Weights)
            {
                writer.Write(w);
            }

            writer.Flush();
            writer.Write(Fnv1a.Add(Fnv1a.Offset, stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        }

        return stream.ToArray();
    }

    public static JudgeHead Read(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new Reader(bytes, source);
        if (!reader.Take(4).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{source}' is not a judge head file (bad magic).");
        }

        int version = reader.Int32();
        if (version is not (1 or CurrentVersion))
        {
            throw new InvalidDataException($"'{source}' has judge head format version {version}; this library reads 1 and {CurrentVersion}.");
        }

        int size = reader.Int32();
        if (size <= 0 || size > MaxHiddenSize)
        {
            throw new InvalidDataException($"'{source}' declares a hidden size of {size}.");
        }

        double threshold = reader.Double();
        float bias = reader.Single();
        JudgeTargetFingerprint? target = null;
        if (version >= 2)
        {
            byte hasTarget = reader.Take(1)[0];
            if (hasTarget > 1)
            {
                throw new InvalidDataException($"'{source}' has an invalid target flag {hasTarget}.");
            }

            if (hasTarget == 1)
            {
                int nameLength = reader.Int32();
                if (nameLength < 0 || nameLength > JudgeTargetFingerprint.MaxModelNameBytes)
                {
                    throw new InvalidDataException($"'{source}' declares a target name of {nameLength} bytes.");
                }

                string name = DecodeName(reader.Take(nameLength), source);
                target = new JudgeTargetFingerprint(name, reader.Int32(), reader.Int32(), reader.UInt64());
            }
        }

        var raw = reader.Take(checked(4 * size));
        var weights = new float[size];
        for (int i = 0; i < size; i++)
        {
            weights[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(4 * i, 4));
        }

        if (version >= 2)
        {
            int covered = reader.Position;
            ulong stored = reader.UInt64();
            if (stored != Fnv1a.Add(Fnv1a.Offset, bytes[..covered]))
            {
                throw new InvalidDataException($"'{source}' is corrupted (checksum mismatch).");
            }
        }

        if (reader.Position != bytes.Length)
        {
            throw new InvalidDataException($"'{source}' has {bytes.Length - reader.Position} unexpected trailing bytes.");
        }

        try
        {
            return new JudgeHead(weights, bias, threshold, target, version);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"'{source}' holds an invalid judge head: {ex.Message}", ex);
        }
    }

    private static string DecodeName(ReadOnlySpan<byte> bytes, string source)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"'{source}' has a target name that is not valid UTF-8.", ex);
        }
    }

    /// <summary>Bounds-checked little-endian reads over the file's bytes.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, string source)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        public ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > _bytes.Length - Position)
            {
                throw new InvalidDataException($"'{source}' is truncated.");
            }

            var span = _bytes.Slice(Position, count);
            Position += count;
            return span;
        }

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public float Single() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));
    }
}
