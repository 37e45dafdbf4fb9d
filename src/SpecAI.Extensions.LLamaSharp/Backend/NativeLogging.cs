using LLama.Native;
using Microsoft.Extensions.Logging;

namespace SpecAI.Extensions.Backend;

/// <summary>Routes llama.cpp's native log (otherwise written to stderr) to an <see cref="ILogger"/>.</summary>
/// <remarks>
/// <para>llama.cpp has one process-wide log callback. It is installed once; loggers are attached to it and detached
/// again when their owner (a model session, a chat client) is disposed, so the sink never outlives the logger factory
/// of a disposed client. Messages go to the logger attached last that is still attached; with none they are dropped.</para>
/// <para>The callback runs inside native frames (including the native library's own initialisation), so it never
/// lets an exception out: a logger that throws loses that message, nothing else.</para>
/// </remarks>
internal static class NativeLogging
{
    private static readonly Lock Gate = new();
    private static readonly NativeLogConfig.LLamaLogCallback Callback = Forward;
    private static Attachment[] _attached = [];
    private static NativeLogCapture[] _captures = [];
    private static bool _installed;

    /// <summary>
    /// Installs the callback before the first native call (once) and attaches <paramref name="logger"/> until the
    /// returned handle is disposed. Without a logger nothing is attached (the native log is dropped: quiet by default).
    /// </summary>
    /// <param name="logger">Where native messages go; null to attach nothing.</param>
    /// <returns>Detaches the logger when disposed; dispose it before the logger's factory.</returns>
    public static IDisposable Install(ILogger? logger)
    {
        lock (Gate)
        {
            if (!_installed)
            {
                if (!NativeLibraryConfig.LLama.LibraryHasLoaded)
                {
                    NativeLibraryConfig.All.WithLogCallback(Callback);
                }
                else
                {
                    NativeLogConfig.llama_log_set(Callback);
                }

                _installed = true;
            }

            if (logger is null)
            {
                return Attachment.None;
            }

            var attachment = new Attachment(logger);
            _attached = [.. _attached, attachment];
            return attachment;
        }
    }

    /// <summary>Collects native warnings and errors until disposed (to explain a failed load).</summary>
    internal static NativeLogCapture Capture()
    {
        var capture = new NativeLogCapture(Release);
        lock (Gate)
        {
            _captures = [.. _captures, capture];
        }

        return capture;

        static void Release(NativeLogCapture done)
        {
            lock (Gate)
            {
                _captures = _captures.Where(c => c != done).ToArray();
            }
        }
    }

    /// <summary>Handles one native message; never throws (it runs inside native frames).</summary>
    internal static void Forward(LLamaLogLevel level, string message)
    {
        try
        {
            if (level is LLamaLogLevel.Error or LLamaLogLevel.Warning)
            {
                foreach (var capture in Volatile.Read(ref _captures))
                {
                    capture.Add(message);
                }
            }

            var attached = Volatile.Read(ref _attached);
            if (attached.Length == 0)
            {
                return;
            }

            var logger = attached[^1].Logger;
            var logLevel = level switch
            {
                LLamaLogLevel.Error => LogLevel.Error,
                LLamaLogLevel.Warning => LogLevel.Warning,
                LLamaLogLevel.Info => LogLevel.Debug,
                _ => LogLevel.Trace,
            };
            if (logger.IsEnabled(logLevel))
            {
                logger.Log(logLevel, "llama.cpp: {Message}", message.TrimEnd());
            }
        }
        catch
        {
            // Dropped: an exception must never unwind through llama.cpp's frames.
        }
    }

    private static void Detach(Attachment attachment)
    {
        lock (Gate)
        {
            _attached = _attached.Where(a => a != attachment).ToArray();
        }
    }

    private sealed class Attachment(ILogger logger) : IDisposable
    {
        public static readonly IDisposable None = new Attachment(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        public ILogger Logger { get; } = logger;

        public void Dispose() => Detach(this);
    }
}
