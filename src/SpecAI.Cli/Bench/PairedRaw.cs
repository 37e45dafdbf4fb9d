using SpecAI.Extensions;

namespace SpecAI.Cli.Bench;

/// <summary>
/// The bench's <c>raw</c> row, measured next to every other row: a <see cref="RawGreedyLoop"/> on the client's
/// scheduler thread (the OS thread, hence the OpenMP team, that runs the client's decodes) over the client's target
/// weights, on a one-sequence context of the client's size. Each timed request of a row gets a raw request on the same
/// prompt right before or after it, so load drift between rows and minutes cancels within a pair.
/// </summary>
internal sealed class PairedRaw : IAsyncDisposable
{
    private readonly SpeculativeChatClient _client;
    private readonly RawGreedyLoop _loop;
    private readonly IReadOnlyList<int[]> _prompts;
    private readonly int _maxTokens;

    private PairedRaw(SpeculativeChatClient client, RawGreedyLoop loop, IReadOnlyList<int[]> prompts, int maxTokens)
    {
        (_client, _loop, _prompts, _maxTokens) = (client, loop, prompts, maxTokens);
    }

    /// <summary>Tokens/s of every timed raw request so far (warm-ups excluded).</summary>
    public List<double> AllRates { get; } = new();

    /// <summary>Every timed raw request so far (warm-ups excluded).</summary>
    public List<RawSample> AllSamples { get; } = new();

    /// <summary>Creates the raw context on the client's scheduler thread.</summary>
    public static async Task<PairedRaw> CreateAsync(SpeculativeChatClient client, IReadOnlyList<int[]> prompts, int maxTokens, int threads)
    {
        var weights = client.TargetSession.Weights;
        uint contextSize = (uint)client.TargetSession.ContextSize;
        var loop = await client.Scheduler.InvokeAsync(() => new RawGreedyLoop(weights, contextSize, threads)).ConfigureAwait(false);
        return new PairedRaw(client, loop, prompts, maxTokens);
    }

    /// <summary>One untimed raw request (the last prompt).</summary>
    public Task WarmUpAsync() => _client.Scheduler.InvokeAsync(() => _loop.Generate(_prompts[^1], _maxTokens));

    /// <summary>One timed raw request on prompt <paramref name="prompt"/>.</summary>
    public async Task<RawSample> RunAsync(int prompt)
    {
        var sample = await _client.Scheduler.InvokeAsync(() => _loop.Generate(_prompts[prompt], _maxTokens)).ConfigureAwait(false);
        AllRates.Add(Math.Round(sample.TokensPerSecond, 2));
        AllSamples.Add(sample);
        return sample;
    }

    /// <summary>Frees the raw context on the scheduler thread.</summary>
    public async ValueTask DisposeAsync() => await _client.Scheduler.InvokeAsync(() =>
    {
        _loop.Dispose();
        return 0;
    }).ConfigureAwait(false);
}
