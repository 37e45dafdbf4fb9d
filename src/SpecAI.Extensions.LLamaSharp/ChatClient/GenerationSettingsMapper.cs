using System.Globalization;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Maps <see cref="ChatOptions"/> onto the client's defaults (already folded into a <see cref="GenerationSettings"/>, see
/// <see cref="SpeculativeChatClientOptions.ToGenerationSettings"/>). A <see cref="GenerationSettings"/> returned by
/// <see cref="ChatOptions.RawRepresentationFactory"/> replaces the defaults (it can set what ChatOptions cannot: min-p,
/// repetition penalty, logit bias, prompt-lookup n-grams...) but for the client's resources (end-of-generation tokens,
/// judge head, token embeddings); whatever the ChatOptions and the <c>specai.*</c> keys set explicitly still applies on
/// top. Only maps: the rules (which verifier, which drafters, what is valid) are applied once, when the engine resolves
/// the request (<see cref="ResolvedRequest.Resolve"/>).
/// </summary>
internal static class GenerationSettingsMapper
{
    public static GenerationSettings Map(ChatOptions? chat, GenerationSettings defaults, IChatClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var extra = chat?.AdditionalProperties;
        var raw = chat?.RawRepresentationFactory?.Invoke(client!) as GenerationSettings;
        var basis = raw is null ? defaults : raw with
        {
            StopTokens = raw.StopTokens.Count == 0 ? defaults.StopTokens : new HashSet<int>(defaults.StopTokens.Concat(raw.StopTokens)),
            Judge = defaults.Judge ?? raw.Judge,
            TokenEmbeddings = raw.TokenEmbeddings ?? defaults.TokenEmbeddings,
        };
        var mode = Read(extra, SpeculativeChatOptionKeys.Mode, SpeculativeChatOptionKeys.ParseMode) ?? basis.Mode;

        // specai.verifier names a built-in rule or is a rule of the caller's own; either replaces the client's choice.
        object? verifierValue = null;
        bool verifierGiven = extra is not null && extra.TryGetValue(SpeculativeChatOptionKeys.Verifier, out verifierValue) && verifierValue is not null;
        var customVerifier = verifierValue as ISpeculativeVerifier;
        var sampling = basis.Sampling;
        return basis with
        {
            Sampling = sampling with
            {
                Temperature = chat?.Temperature ?? sampling.Temperature,
                TopP = chat?.TopP ?? sampling.TopP,
                TopK = chat?.TopK ?? sampling.TopK,
                FrequencyPenalty = chat?.FrequencyPenalty ?? sampling.FrequencyPenalty,
                PresencePenalty = chat?.PresencePenalty ?? sampling.PresencePenalty,
            },
            Seed = chat?.Seed ?? basis.Seed,
            MaxTokens = chat?.MaxOutputTokens ?? basis.MaxTokens,
            Mode = mode,
            DraftLength = Read(extra, SpeculativeChatOptionKeys.DraftLength, ParseInt) ?? basis.DraftLength,
            DraftCount = mode == SpeculationMode.MultiDraft ? Read(extra, SpeculativeChatOptionKeys.DraftCount, ParseInt) ?? basis.DraftCount : 1,
            Verifier = customVerifier is null ? Read(extra, SpeculativeChatOptionKeys.Verifier, SpeculativeChatOptionKeys.ParseVerifier) ?? basis.Verifier : basis.Verifier,
            CustomVerifier = verifierGiven ? customVerifier : basis.CustomVerifier,
            Adaptive = Read(extra, SpeculativeChatOptionKeys.Adaptive, s => bool.Parse(s)) ?? basis.Adaptive,
            MeasureOptimalAcceptance = Read(extra, SpeculativeChatOptionKeys.MeasureOptimalAcceptance, s => bool.Parse(s)) ?? basis.MeasureOptimalAcceptance,
            JudgeThreshold = Read(extra, SpeculativeChatOptionKeys.JudgeThreshold, ParseDouble) ?? basis.JudgeThreshold,
            LanternDelta = Read(extra, SpeculativeChatOptionKeys.LanternDelta, ParseDouble) ?? basis.LanternDelta,
            LanternNeighbourCount = Read(extra, SpeculativeChatOptionKeys.LanternK, ParseInt) ?? basis.LanternNeighbourCount,
            Constraint = extra is not null && extra.TryGetValue(SpeculativeChatOptionKeys.Constraint, out object? constraint)
                ? constraint as ITokenConstraint ?? throw new ArgumentException($"ChatOptions.AdditionalProperties['{SpeculativeChatOptionKeys.Constraint}'] must be an {nameof(ITokenConstraint)}.", "options")
                : basis.Constraint,
        };
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
