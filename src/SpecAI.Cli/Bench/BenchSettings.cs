namespace SpecAI.Cli.Bench;

/// <summary>What one <c>specai bench</c> run measures (parsed options).</summary>
internal sealed record BenchSettings(
    bool Quick, string? Target, string? Draft, double[] Agreements, int MaxTokens, int Repeats, double[] Temperatures, bool Sweep,
    string? Json, string? Markdown, string? Plot, string? Family = null, string? Tokenizers = null, int? Snapshots = null, bool RawChild = false, int? Threads = null);
