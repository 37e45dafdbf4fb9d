namespace SpecAI.Extensions.Judge;

/// <summary>Receives a model's outputs at one position of a teacher-forced sequence (spans valid only during the call).</summary>
/// <param name="position">Position in the sequence.</param>
/// <param name="logits">Logits predicting the token after <paramref name="position"/>.</param>
/// <param name="hidden">The final normalised hidden state at <paramref name="position"/>; empty when the model gives none.</param>
internal delegate void TokenOutputVisitor(int position, ReadOnlySpan<float> logits, ReadOnlySpan<float> hidden);
