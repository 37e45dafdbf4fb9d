using System.Globalization;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.ChatClient;

/// <summary>Maps <see cref="ChatOptions"/> plus the client's defaults to the engine's settings.</summary>
internal static class GenerationSettingsMapper
{
    public static GenerationSettings Map(ChatOptions? chat, SpeculativeChatClientOptions defaults, IReadOnlySet<int> stopTokens)
    {
        var extra = chat?.AdditionalProperties;
        var mode = Read(extra, SpeculativeChatOptionKeys.Mode, SpeculativeChatOptionKeys.ParseMode) ?? defaults.EffectiveMode;
        var settings = new GenerationSettings
        {
            Sampling = new SamplingOptions
            {
                Temperature = chat?.Temperature ?? defaults.Temperature,
                TopP = chat?.TopP ?? 1.0,
                TopK = chat?.TopK ?? 0,
                FrequencyPenalty = chat?.FrequencyPenalty ?? 0,
                PresencePenalty = chat?.PresencePenalty ?? 0,
            },
            Seed = chat?.Seed ?? defaults.Seed,
            MaxTokens = chat?.MaxOutputTokens ?? defaults.MaxOutputTokens,
            Mode = mode,
            DraftLength = Read(extra, SpeculativeChatOptionKeys.DraftLength, ParseInt) ?? defaults.DraftLength,
            DraftCount = mode == SpeculationMode.MultiDraft ? Read(extra, SpeculativeChatOptionKeys.DraftCount, ParseInt) ?? defaults.DraftCount : 1,
            Verifier = Read(extra, SpeculativeChatOptionKeys.Verifier, SpeculativeChatOptionKeys.ParseVerifier) ?? DefaultVerifier(mode, defaults.Verifier),
            Adaptive = Read(extra, SpeculativeChatOptionKeys.Adaptive, s => bool.Parse(s)) ?? defaults.Adaptive,
            MeasureOptimalAcceptance = Read(extra, SpeculativeChatOptionKeys.MeasureOptimalAcceptance, s => bool.Parse(s)),
            JudgeThreshold = Read(extra, SpeculativeChatOptionKeys.JudgeThreshold, ParseDouble) ?? defaults.JudgeThreshold,
            MaxJudgedTokensPerStep = defaults.MaxJudgedTokensPerStep,
            StopTokens = stopTokens,
            Constraint = extra is not null && extra.TryGetValue(SpeculativeChatOptionKeys.Constraint, out object? constraint)
                ? constraint as ITokenConstraint ?? throw new ArgumentException($"ChatOptions.AdditionalProperties['{SpeculativeChatOptionKeys.Constraint}'] must be an {nameof(ITokenConstraint)}.", "options")
                : null,
        };

        try
        {
            settings.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ArgumentException($"Invalid chat options: {ex.Message}", nameof(chat), ex);
        }

        return settings;
    }

    /// <summary>The request's predicted output (<see cref="SpeculativeChatOptionKeys.Prediction"/>), to be tokenized by the client; null when none.</summary>
    /// <exception cref="ArgumentException">The value is not a string.</exception>
    public static string? Prediction(ChatOptions? chat)
    {
        if (chat?.AdditionalProperties is not { } extra || !extra.TryGetValue(SpeculativeChatOptionKeys.Prediction, out object? value) || value is null)
        {
            return null;
        }

        return value as string ?? throw new ArgumentException($"ChatOptions.AdditionalProperties['{SpeculativeChatOptionKeys.Prediction}'] must be a string (the predicted text), not {value.GetType().Name}.", "options");
    }

    private static VerifierKind DefaultVerifier(SpeculationMode mode, VerifierKind configured) =>
        mode == SpeculationMode.MultiDraft && configured == VerifierKind.Standard ? VerifierKind.KSeq : configured;

    private static int ParseInt(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double ParseDouble(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static T? Read<T>(AdditionalPropertiesDictionary? extra, string key, Func<string, T> parse)
        where T : struct
    {
        if (extra is null || !extra.TryGetValue(key, out object? value) || value is null)
        {
            return null;
        }

        try
        {
            return value switch
            {
                T typed => typed,
                string text => parse(text),
                IConvertible convertible when typeof(T) == typeof(int) || typeof(T) == typeof(bool) || typeof(T) == typeof(double) => (T)Convert.ChangeType(convertible, typeof(T), CultureInfo.InvariantCulture),
                _ => parse(value.ToString() ?? string.Empty),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException($"ChatOptions.AdditionalProperties['{key}'] = '{value}' is not a valid value.", "options", ex);
        }
    }
}
