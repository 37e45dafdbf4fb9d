using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SpecAI.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="SpeculativeChatClient"/> as the <see cref="IChatClient"/> of a service collection.</summary>
/// <remarks>
/// The options are validated when the host starts (<c>ValidateOnStart</c>: a host with bad settings or a missing model file
/// fails in <c>StartAsync</c> with <see cref="OptionsValidationException"/>), and again when the client is first resolved
/// (<see cref="ArgumentException"/>). The client is a singleton: its models load once, on first resolve. A load that fails
/// is not retried: every later resolve rethrows the same exception, instead of reading gigabytes again each time.
/// </remarks>
public static class SpeculativeChatClientServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="SpeculativeChatClient"/> configured in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (at least <see cref="SpeculativeChatClientOptions.TargetModelPath"/>).</param>
    /// <param name="lifetime">Must be <see cref="ServiceLifetime.Singleton"/> (the default): the models are loaded once per provider.</param>
    /// <returns>A builder to add middleware (logging, OpenTelemetry, caching) over the client.</returns>
    /// <remarks><inheritdoc cref="SpeculativeChatClientServiceCollectionExtensions" path="/remarks"/></remarks>
    /// <exception cref="ArgumentException"><paramref name="lifetime"/> is not <see cref="ServiceLifetime.Singleton"/>.</exception>
    public static ChatClientBuilder AddSpeculativeChatClient(
        this IServiceCollection services,
        Action<SpeculativeChatClientOptions> configure,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        RequireSingleton(lifetime);
        var name = Options.Options.DefaultName;
        Register(services, name).Configure(configure);
        return services.AddChatClient(sp => Load(sp, name), lifetime);
    }

    /// <summary>Registers a <see cref="SpeculativeChatClient"/> bound from a configuration section (conventionally "SpecAI").</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section whose keys are the <see cref="SpeculativeChatClientOptions"/> property names.</param>
    /// <param name="lifetime">Must be <see cref="ServiceLifetime.Singleton"/> (the default): the models are loaded once per provider.</param>
    /// <returns>A builder to add middleware (logging, OpenTelemetry, caching) over the client.</returns>
    /// <remarks><inheritdoc cref="SpeculativeChatClientServiceCollectionExtensions" path="/remarks"/></remarks>
    /// <exception cref="ArgumentException"><paramref name="lifetime"/> is not <see cref="ServiceLifetime.Singleton"/>.</exception>
    public static ChatClientBuilder AddSpeculativeChatClient(
        this IServiceCollection services,
        IConfiguration configuration,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        RequireSingleton(lifetime);
        var name = Options.Options.DefaultName;
        Register(services, name).Bind(configuration);
        return services.AddChatClient(sp => Load(sp, name), lifetime);
    }

    /// <summary>Registers a keyed <see cref="SpeculativeChatClient"/> configured in code (several models side by side).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key the client is resolved with; also the name of its options.</param>
    /// <param name="configure">Sets the options (at least <see cref="SpeculativeChatClientOptions.TargetModelPath"/>).</param>
    /// <param name="lifetime">Must be <see cref="ServiceLifetime.Singleton"/> (the default): the models are loaded once per provider.</param>
    /// <returns>A builder to add middleware over the keyed client.</returns>
    /// <exception cref="ArgumentException"><paramref name="lifetime"/> is not <see cref="ServiceLifetime.Singleton"/>.</exception>
    public static ChatClientBuilder AddKeyedSpeculativeChatClient(
        this IServiceCollection services,
        object serviceKey,
        Action<SpeculativeChatClientOptions> configure,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);

        RequireSingleton(lifetime);
        string name = OptionsName(serviceKey);
        Register(services, name).Configure(configure);
        return services.AddKeyedChatClient(serviceKey, sp => Load(sp, name), lifetime);
    }

    /// <summary>Registers a keyed <see cref="SpeculativeChatClient"/> bound from a configuration section.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key the client is resolved with; also the name of its options.</param>
    /// <param name="configuration">The section whose keys are the <see cref="SpeculativeChatClientOptions"/> property names.</param>
    /// <param name="lifetime">Must be <see cref="ServiceLifetime.Singleton"/> (the default): the models are loaded once per provider.</param>
    /// <returns>A builder to add middleware over the keyed client.</returns>
    /// <exception cref="ArgumentException"><paramref name="lifetime"/> is not <see cref="ServiceLifetime.Singleton"/>.</exception>
    public static ChatClientBuilder AddKeyedSpeculativeChatClient(
        this IServiceCollection services,
        object serviceKey,
        IConfiguration configuration,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);

        RequireSingleton(lifetime);
        string name = OptionsName(serviceKey);
        Register(services, name).Bind(configuration);
        return services.AddKeyedChatClient(serviceKey, sp => Load(sp, name), lifetime);
    }

    private static void RequireSingleton(ServiceLifetime lifetime)
    {
        if (lifetime != ServiceLifetime.Singleton)
        {
            throw new ArgumentException(
                $"{nameof(SpeculativeChatClient)} must be registered as a singleton: a {lifetime} client would load its models (gigabytes) again for every {(lifetime == ServiceLifetime.Scoped ? "scope" : "resolve")}. Middleware can still be added with the returned builder.",
                nameof(lifetime));
        }
    }

    /// <summary>Options with start-up validation, and the per-provider load cache for <paramref name="name"/>.</summary>
    private static OptionsBuilder<SpeculativeChatClientOptions> Register(IServiceCollection services, string name)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpeculativeChatClientOptions>, SpeculativeChatClientOptionsValidator>());
        services.TryAddKeyedSingleton(name, (sp, _) => new SpeculativeChatClientLoader(sp, name));
        var options = services.AddOptions<SpeculativeChatClientOptions>(name);
        options.ValidateOnStart();
        return options;
    }

    private static SpeculativeChatClient Load(IServiceProvider services, string name) =>
        services.GetRequiredKeyedService<SpeculativeChatClientLoader>(name).Client;

    private static string OptionsName(object serviceKey) => $"SpecAI:{serviceKey}";
}
