namespace SpecAI.Extensions;

/// <summary>Bounds of the speculation settings, shared by the options' validation, the engine and the adaptive policy.</summary>
public static class SpeculationLimits
{
    /// <summary>Longest draft (gamma) a step may propose.</summary>
    public const int MaxDraftLength = 64;

    /// <summary>Most drafts (k) a multi-draft step may propose.</summary>
    public const int MaxDraftCount = 16;
}
