using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>Keeps every formatted log message and its level (tests assert on what a component says).</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyCollection<string> Messages => _entries.Select(e => e.Message).ToArray();

    public IReadOnlyCollection<(LogLevel Level, string Message)> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception)));

    public void Dispose()
    {
    }
}
