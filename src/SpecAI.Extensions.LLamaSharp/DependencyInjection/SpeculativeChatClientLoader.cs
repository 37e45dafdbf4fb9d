using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SpecAI.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Loads one registration's client once per service provider. A failed load is remembered: later resolves rethrow
/// the same exception instead of reading the models again.
/// </summary>
internal sealed class SpeculativeChatClientLoader
{
    private readonly Lazy<SpeculativeChatClient> _client;

    public SpeculativeChatClientLoader(IServiceProvider services, string name) =>
        _client = new Lazy<SpeculativeChatClient>(() => Create(services, name), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The client (loaded on first use); the same exception on every call after a failed load.</summary>
    public SpeculativeChatClient Client => _client.Value;

    private static SpeculativeChatClient Create(IServiceProvider services, string name)
    {
        SpeculativeChatClientOptions options;
        try
        {
            // Clone: the client must not see later changes to the shared options instance.
            options = services.GetRequiredService<IOptionsMonitor<SpeculativeChatClientOptions>>().Get(name).Clone();
        }
        catch (OptionsValidationException ex)
        {
            throw new ArgumentException($"Invalid {nameof(SpeculativeChatClientOptions)}: {string.Join(" ", ex.Failures)}", nameof(options), ex);
        }

        return new SpeculativeChatClient(options, services.GetService<ILoggerFactory>());
    }
}
