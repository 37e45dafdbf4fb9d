using Microsoft.Extensions.DependencyInjection;
using SpecAI.Extensions;

namespace Microsoft.SemanticKernel;

/// <summary>Adds the speculative decoding chat client to a Semantic Kernel <see cref="IKernelBuilder"/>.</summary>
public static class SpeculativeKernelBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="SpeculativeChatClient"/> as <see cref="Microsoft.Extensions.AI.IChatClient"/> and, over it,
    /// an <see cref="ChatCompletion.IChatCompletionService"/> for the kernel.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="configure">Sets the options (at least <see cref="SpeculativeChatClientOptions.TargetModelPath"/>).</param>
    /// <param name="serviceId">Optional key of both services, for kernels with several chat services.</param>
    /// <returns>The same builder.</returns>
    /// <remarks>Options are validated when the service is first resolved; bad options throw <see cref="ArgumentException"/> then.</remarks>
    public static IKernelBuilder AddSpeculativeChatClient(
        this IKernelBuilder builder,
        Action<SpeculativeChatClientOptions> configure,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.AddSpeculativeChatCompletion(configure, serviceId);
        return builder;
    }
}
