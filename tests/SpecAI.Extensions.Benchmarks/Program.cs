using BenchmarkDotNet.Running;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project tests/SpecAI.Extensions.Benchmarks -- --filter * --job short</c>.</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
