using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SpecAI.Extensions.LLamaSharp.Tests.Judge;

/// <summary>Keeps every formatted log message (tests assert on what a component says).</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _messages.Enqueue(formatter(state, exception));

    public void Dispose()
    {
    }
}
