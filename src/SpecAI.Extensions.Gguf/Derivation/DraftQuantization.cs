namespace SpecAI.Extensions.Gguf.Derivation;

/// <summary>The weight type a derived draft is written with.</summary>
public enum DraftQuantization
{
    /// <summary>Keep every tensor's type.</summary>
    None,
    /// <summary>Half precision matrices.</summary>
    F16,
    /// <summary>Q8_0 matrices; F16 where the row length is not a multiple of 32.</summary>
    Q8_0,
    /// <summary>Q4_0 matrices; Q8_0, then F16, where the row length is not a multiple of 32.</summary>
    Q4_0,
}
