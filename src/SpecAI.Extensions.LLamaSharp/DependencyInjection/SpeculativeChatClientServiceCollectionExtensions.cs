using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SpecAI.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="SpeculativeChatClient"/> as the <see cref="IChatClient"/> of a service collection.</summary>
public static class SpeculativeChatClientServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="SpeculativeChatClient"/> configured in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (at least <see cref="SpeculativeChatClientOptions.TargetModelPath"/>).</param>
    /// <param name="lifetime">The client's lifetime; singleton by default (models are loaded once).</param>
    /// <returns>A builder to add middleware (logging, OpenTelemetry, caching) over the client.</returns>
    /// <remarks>The options are validated when the client is first resolved; bad options throw <see cref="ArgumentException"/> then.</remarks>
    public static ChatClientBuilder AddSpeculativeChatClient(
        this IServiceCollection services,
        Action<SpeculativeChatClientOptions> configure,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<SpeculativeChatClientOptions>().Configure(configure);
        return services.AddChatClient(CreateClient, lifetime);
    }

    /// <summary>Registers a <see cref="SpeculativeChatClient"/> bound from a configuration section (conventionally "SpecAI").</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section whose keys are the <see cref="SpeculativeChatClientOptions"/> property names.</param>
    /// <param name="lifetime">The client's lifetime; singleton by default (models are loaded once).</param>
    /// <returns>A builder to add middleware (logging, OpenTelemetry, caching) over the client.</returns>
    /// <remarks>The options are validated when the client is first resolved; bad options throw <see cref="ArgumentException"/> then.</remarks>
    public static ChatClientBuilder AddSpeculativeChatClient(
        this IServiceCollection services,
        IConfiguration configuration,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<SpeculativeChatClientOptions>().Bind(configuration);
        return services.AddChatClient(CreateClient, lifetime);
    }

    /// <summary>Registers a keyed <see cref="SpeculativeChatClient"/> configured in code (several models side by side).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key the client is resolved with; also the name of its options.</param>
    /// <param name="configure">Sets the options (at least <see cref="SpeculativeChatClientOptions.TargetModelPath"/>).</param>
    /// <param name="lifetime">The client's lifetime; singleton by default.</param>
    /// <returns>A builder to add middleware over the keyed client.</returns>
    public static ChatClientBuilder AddKeyedSpeculativeChatClient(
        this IServiceCollection services,
        object serviceKey,
        Action<SpeculativeChatClientOptions> configure,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);

        string name = OptionsName(serviceKey);
        services.AddOptions<SpeculativeChatClientOptions>(name).Configure(configure);
        return services.AddKeyedChatClient(serviceKey, sp => CreateClient(sp, name), lifetime);
    }

    /// <summary>Registers a keyed <see cref="SpeculativeChatClient"/> bound from a configuration section.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key the client is resolved with; also the name of its options.</param>
    /// <param name="configuration">The section whose keys are the <see cref="SpeculativeChatClientOptions"/> property names.</param>
    /// <param name="lifetime">The client's lifetime; singleton by default.</param>
    /// <returns>A builder to add middleware over the keyed client.</returns>
    public static ChatClientBuilder AddKeyedSpeculativeChatClient(
        this IServiceCollection services,
        object serviceKey,
        IConfiguration configuration,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);

        string name = OptionsName(serviceKey);
        services.AddOptions<SpeculativeChatClientOptions>(name).Bind(configuration);
        return services.AddKeyedChatClient(serviceKey, sp => CreateClient(sp, name), lifetime);
    }

    private static SpeculativeChatClient CreateClient(IServiceProvider services) => CreateClient(services, Options.Options.DefaultName);

    private static SpeculativeChatClient CreateClient(IServiceProvider services, string name)
    {
        // Clone: the client must not see later changes to the shared options instance.
        var options = services.GetRequiredService<IOptionsMonitor<SpeculativeChatClientOptions>>().Get(name).Clone();
        options.Validate();
        return new SpeculativeChatClient(options, services.GetService<ILoggerFactory>());
    }

    private static string OptionsName(object serviceKey) => $"SpecAI:{serviceKey}";
}
