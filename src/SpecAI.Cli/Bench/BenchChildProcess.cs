using System.Diagnostics;
using System.Text.Json;

namespace SpecAI.Cli.Bench;

/// <summary>
/// Runs a hidden <c>specai bench-*</c> command in a process of its own and reads the JSON line it prints. Competitors
/// measured in the bench's process would share it with other llama.cpp contexts: each OS thread that decodes owns an
/// OpenMP team, and the teams of LLamaSharp's executor (thread-pool threads) and of our scheduler slow each other.
/// </summary>
internal static class BenchChildProcess
{
    /// <summary>Runs <c>specai</c> with <paramref name="arguments"/> and deserialises the last JSON line of its output.</summary>
    public static T Run<T>(IEnumerable<string> arguments)
        where T : class
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string self = Environment.ProcessPath ?? "dotnet";
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(BenchChildProcess).Assembly.Location);
        }

        foreach (string arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the bench's child process.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"specai {start.ArgumentList.FirstOrDefault(a => a.StartsWith("bench-", StringComparison.Ordinal))} exited with {process.ExitCode}: {stderr.Result}");
        }

        string json = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.TrimStart().StartsWith('{'));
        return JsonSerializer.Deserialize<T>(json) ?? throw new InvalidDataException("The bench's child process printed no result.");
    }
}
