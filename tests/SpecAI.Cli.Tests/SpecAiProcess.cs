using System.Diagnostics;

namespace SpecAI.Cli.Tests;

/// <summary>Runs the built <c>specai</c> tool (beside the tests) with standard input, output and error redirected.</summary>
internal static class SpecAiProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string arguments, string input, string modelCache, TimeSpan timeout)
    {
        // The SDK names the dotnet host it runs the tests with; PATH is the fallback.
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var start = new ProcessStartInfo(host, $"\"{Path.Combine(AppContext.BaseDirectory, "specai.dll")}\" {arguments}")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = modelCache,
        };
        start.Environment["SPECAI_MODEL_CACHE"] = modelCache;
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"specai {arguments} did not exit within {timeout}: {await output}{await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}
