namespace SpecAI.Extensions.Gguf;

/// <summary>Well-known GGUF metadata keys used by this library.</summary>
public static class GgufKeys
{
    /// <summary>Data alignment in bytes (UInt32); 32 when absent.</summary>
    public const string Alignment = "general.alignment";

    /// <summary>Model architecture, e.g. <c>llama</c>.</summary>
    public const string Architecture = "general.architecture";

    /// <summary>Human readable model name.</summary>
    public const string Name = "general.name";

    /// <summary>llama.cpp's file type (0 F32, 1 F16, 2 Q4_0, 7 Q8_0).</summary>
    public const string FileType = "general.file_type";

    /// <summary>The alignment used when <see cref="Alignment"/> is absent.</summary>
    public const int DefaultAlignment = 32;
}
