namespace SpecAI.Extensions.Judge;

/// <summary>What automatic labelling mined.</summary>
/// <param name="Examples">One example per mismatching draft token (group = prompt index).</param>
/// <param name="Positions">Target answer tokens examined.</param>
/// <param name="Mismatches">Positions where the draft's greedy token differed from the target's.</param>
/// <param name="Equivalent">Mismatches the equivalence check labelled acceptable.</param>
public sealed record AutoJudgeResult(List<JudgeTokenExample> Examples, int Positions, int Mismatches, int Equivalent);
