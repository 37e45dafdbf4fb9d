using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SpecAI.Extensions.LLamaSharp.Tests.Backend;

/// <summary>
/// Callbacks that run inside llama.cpp (native log, load progress) never let an exception out, and the native log never
/// reaches the logger factory of a disposed client. Run alone: the native log sink is process-wide.
/// </summary>
[Collection(nameof(NativeLogCollection))]
public sealed class NativeCallbackTests
{
    private static SpeculativeChatClientOptions Stories(IProgress<float>? progress = null) => new()
    {
        TargetModelPath = TestModels.Stories,
        DraftModelPath = TestModels.StoriesQ4,
        ContextSize = 256,
        Threads = 1,
        BatchSize = 64,
        LoadProgress = progress,
    };

    [Fact]
    public async Task ThrowingNativeLogger_DoesNotBreakLoadingOrGeneration()
    {
        var provider = new TestLoggerProvider { ThrowFor = "SpecAI.Extensions.LLamaCpp" };
        using var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Trace));

        using var client = new SpeculativeChatClient(Stories(), factory);
        var response = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });

        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.True(provider.Thrown > 0, "the native log reached the throwing logger");
    }

    [Fact]
    public async Task ThrowingLoadProgress_DoesNotBreakLoading()
    {
        int reports = 0;
        var progress = new ThrowingProgress(() => reports++);

        using var client = await SpeculativeChatClient.CreateAsync(Stories(progress));

        Assert.True(reports > 1, $"progress was reported ({reports} times) and every report threw");
    }

    [Fact]
    public void DisposedClient_DetachesItsLoggerFactory_FromTheNativeLog()
    {
        var provider = new TestLoggerProvider();
        var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Trace));
        using (new SpeculativeChatClient(Stories(), factory))
        {
            Assert.True(provider.Native > 0, "llama.cpp's log reached the client's logger while it lived");
        }

        factory.Dispose();
        provider.FactoryDisposed = true; // the factory may not dispose a provider it was handed
        using var other = new SpeculativeChatClient(Stories());

        Assert.Equal(0, provider.AfterDispose);
    }

    private sealed class ThrowingProgress(Action reported) : IProgress<float>
    {
        public void Report(float value)
        {
            reported();
            throw new InvalidOperationException("progress receiver failed");
        }
    }

    private sealed class TestLoggerProvider : ILoggerProvider
    {
        private int _native;
        private int _thrown;
        private int _afterDispose;

        public string? ThrowFor { get; init; }

        public bool FactoryDisposed { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

        public int Native => Volatile.Read(ref _native);

        public int Thrown => Volatile.Read(ref _thrown);

        public int AfterDispose => Volatile.Read(ref _afterDispose);

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() => FactoryDisposed = true;

        private sealed class Logger(TestLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (owner.FactoryDisposed)
                {
                    Interlocked.Increment(ref owner._afterDispose);
                    return;
                }

                if (category == "SpecAI.Extensions.LLamaCpp")
                {
                    Interlocked.Increment(ref owner._native);
                }

                if (category == owner.ThrowFor)
                {
                    Interlocked.Increment(ref owner._thrown);
                    throw new InvalidOperationException("logger provider failed");
                }
            }
        }
    }
}

/// <summary>Tests that attach to the process-wide native log run without other tests in parallel.</summary>
[CollectionDefinition(nameof(NativeLogCollection), DisableParallelization = true)]
public sealed class NativeLogCollection;
