using System.ComponentModel.DataAnnotations;

namespace SpecAI.Extensions.Engine;

/// <summary>Limits of a <see cref="GenerationScheduler"/>.</summary>
internal sealed class GenerationSchedulerOptions
{
    /// <summary>Requests decoded together (their rows share each target batch). Default 8.</summary>
    [Range(1, 256)]
    public int MaxConcurrentRequests { get; set; } = 8;

    /// <summary>Requests that may wait for a free slot; one more is refused with <see cref="RequestQueueFullException"/>. Default 32.</summary>
    [Range(0, 1 << 20)]
    public int MaxQueuedRequests { get; set; } = 32;

    /// <summary>Generated tokens a caller may leave unread before its request pauses (a slow reader never holds up the others). Default 256.</summary>
    [Range(1, 1 << 20)]
    public int MaxUnreadTokens { get; set; } = 256;

    /// <summary>Name of the scheduler's thread (for debuggers and profilers).</summary>
    public string ThreadName { get; set; } = "SpecAI scheduler";

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException($"Invalid {nameof(GenerationSchedulerOptions)}: {string.Join(" ", results.Select(r => r.ErrorMessage))}", "options");
        }
    }
}
