namespace SpecAI.Extensions.Judge;

/// <summary>One training example of a judge head: the target's hidden state at a (draft or response) token and its label.</summary>
/// <param name="Hidden">The target's final normalised hidden state at the token.</param>
/// <param name="Acceptable">Whether the token is an acceptable continuation.</param>
/// <param name="Group">Which text the token came from (e.g. the data row): held-out splits keep a group together, so no text is half trained on.</param>
public readonly record struct JudgeTokenExample(float[] Hidden, bool Acceptable, int Group = 0);
