using Microsoft.Extensions.Options;
using SpecAI.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Validates configured <see cref="SpeculativeChatClientOptions"/> (at host start and on first resolve), model files included.</summary>
internal sealed class SpeculativeChatClientOptionsValidator : IValidateOptions<SpeculativeChatClientOptions>
{
    public ValidateOptionsResult Validate(string? name, SpeculativeChatClientOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }

        foreach (var (setting, path) in new[] { (nameof(options.TargetModelPath), options.TargetModelPath), (nameof(options.DraftModelPath), options.DraftModelPath), (nameof(options.JudgeHeadPath), options.JudgeHeadPath) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                return ValidateOptionsResult.Fail($"{setting} '{path}' does not exist.");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
