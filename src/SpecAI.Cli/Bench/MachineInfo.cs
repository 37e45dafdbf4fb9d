namespace SpecAI.Cli.Bench;

/// <summary>Where the benchmark ran.</summary>
internal sealed class MachineInfo
{
    public int Cores { get; init; }

    public required string Os { get; init; }

    public required string Runtime { get; init; }

    public required string Architecture { get; init; }

    public required string Cpu { get; init; }

    public required string Backend { get; init; }

    public required string Command { get; init; }

    public required string Target { get; init; }

    public required string Draft { get; init; }

    public int MaxTokens { get; init; }

    public int Repeats { get; init; }

    public double Temperature { get; init; }

    public required double[] Temperatures { get; init; }

    public required double[] Agreements { get; init; }

    public double? SingleTokenTargetMs { get; init; }

    /// <summary>Native decode threads of every row.</summary>
    public int Threads { get; init; }

    /// <summary>1/5/15-minute load average when the run started (Linux; "n/a" elsewhere).</summary>
    public string? LoadAverageStart { get; init; }

    /// <summary>1/5/15-minute load average when the run ended.</summary>
    public string? LoadAverageEnd { get; init; }

    public double WallSeconds { get; init; }
}
