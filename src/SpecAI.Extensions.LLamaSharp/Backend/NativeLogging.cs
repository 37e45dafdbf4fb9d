using LLama.Native;
using Microsoft.Extensions.Logging;

namespace SpecAI.Extensions.Backend;

/// <summary>Routes llama.cpp's native log (otherwise written to stderr) to an <see cref="ILogger"/>.</summary>
public static class NativeLogging
{
    private static readonly object Gate = new();
    private static ILogger? _logger;
    private static bool _installed;

    /// <summary>
    /// Installs the callback before the first native call; later calls only swap the logger. Without a
    /// logger the native log is dropped (quiet by default).
    /// </summary>
    /// <param name="logger">Where native messages go; null to drop them.</param>
    public static void Install(ILogger? logger)
    {
        lock (Gate)
        {
            _logger = logger ?? _logger;
            if (_installed)
            {
                return;
            }

            if (!NativeLibraryConfig.LLama.LibraryHasLoaded)
            {
                NativeLibraryConfig.All.WithLogCallback(Forward);
            }
            else
            {
                NativeLogConfig.llama_log_set(Forward);
            }

            _installed = true;
        }
    }

    private static void Forward(LLamaLogLevel level, string message)
    {
        var logger = _logger;
        if (logger is null)
        {
            return;
        }

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
}
