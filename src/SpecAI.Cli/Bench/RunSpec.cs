using SpecAI.Extensions;

namespace SpecAI.Cli.Bench;

/// <summary>One row of the bench: a speculation mode and its settings.</summary>
internal sealed record RunSpec(string Name, SpeculationMode Mode, string Verifier, int DraftLength, int DraftCount, bool Adaptive = false);
