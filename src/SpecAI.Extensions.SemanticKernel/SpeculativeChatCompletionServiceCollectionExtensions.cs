using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel.ChatCompletion;
using SpecAI.Extensions;

namespace Microsoft.SemanticKernel;

/// <summary>Registers the speculative decoding chat client as a Semantic Kernel chat completion service.</summary>
public static class SpeculativeChatCompletionServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="SpeculativeChatClient"/> as (singleton) <see cref="IChatClient"/> and an
    /// <see cref="IChatCompletionService"/> that wraps it.
    /// </summary>
    /// <param name="services">The service collection (for example <c>IKernelBuilder.Services</c>).</param>
    /// <param name="configure">Sets the options (at least <see cref="SpeculativeChatClientOptions.TargetModelPath"/>).</param>
    /// <param name="serviceId">Optional key of both services.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddSpeculativeChatCompletion(
        this IServiceCollection services,
        Action<SpeculativeChatClientOptions> configure,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        if (serviceId is null)
        {
            services.AddSpeculativeChatClient(configure);
        }
        else
        {
            services.AddKeyedSpeculativeChatClient(serviceId, configure);
        }

        return services.AddChatCompletionOverChatClient(serviceId);
    }

    /// <summary>
    /// Registers a <see cref="SpeculativeChatClient"/> bound from a configuration section (conventionally "SpecAI") as
    /// (singleton) <see cref="IChatClient"/> and an <see cref="IChatCompletionService"/> that wraps it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section whose keys are the <see cref="SpeculativeChatClientOptions"/> property names.</param>
    /// <param name="serviceId">Optional key of both services.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddSpeculativeChatCompletion(
        this IServiceCollection services,
        IConfiguration configuration,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        if (serviceId is null)
        {
            services.AddSpeculativeChatClient(configuration);
        }
        else
        {
            services.AddKeyedSpeculativeChatClient(serviceId, configuration);
        }

        return services.AddChatCompletionOverChatClient(serviceId);
    }

    private static IServiceCollection AddChatCompletionOverChatClient(this IServiceCollection services, string? serviceId)
    {
        // Kernel function invocation sits over the client, so FunctionChoiceBehavior.Auto() runs plugins.
        static IChatCompletionService Create(IChatClient client, IServiceProvider sp) =>
            new ChatClientBuilder(client)
                .UseKernelFunctionInvocation(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>())
                .Build(sp)
                .AsChatCompletionService(sp);

        if (serviceId is null)
        {
            services.AddSingleton(sp => Create(sp.GetRequiredService<IChatClient>(), sp));
        }
        else
        {
            services.AddKeyedSingleton(serviceId, (sp, key) => Create(sp.GetRequiredKeyedService<IChatClient>(key), sp));
        }

        return services;
    }
}
