using System.Text.Json;
using SpecAI.Extensions.Gguf.Forge.Demo;

namespace SpecAI.Cli.Tests;

/// <summary><c>specai bench</c> on the demo pair: the raw row is measured next to every row, request by request.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private const int Repeats = 2;
    private readonly string _cache = Directory.CreateTempSubdirectory("specai-cli-bench-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public async Task Bench_PairsEveryTimedRequestWithARawRequest_AndRatesAgainstThePairs()
    {
        var family = DemoModelForge.GetOrCreateFamily(_cache);
        string json = Path.Combine(_cache, "bench.json");
        var (exitCode, output, error) = await SpecAiProcess.RunAsync(
            $"bench --target \"{family.TargetPath}\" --draft \"{family.DraftPath}\" --max-tokens 8 --repeats {Repeats} --threads 1 --json \"{json}\" --markdown \"{Path.Combine(_cache, "bench.md")}\" --plot \"{Path.Combine(_cache, "bench.png")}\"",
            string.Empty, _cache, TimeSpan.FromMinutes(5));

        Assert.True(exitCode == 0, $"exit code {exitCode}: {output}{error}");
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var runs = report.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["baseline", "raw", "none"], runs.Take(3).Select(r => r.GetProperty("name").GetString()));

        var raw = runs[1];
        var paired = runs.Where(r => r.GetProperty("raw_tokens_per_second_runs").ValueKind == JsonValueKind.Array).ToList();
        var timed = paired.Where(r => r.GetProperty("name").GetString() != "raw").ToList();
        Assert.True(timed.Count >= 8, $"only {timed.Count} rows were paired with raw requests");

        // The raw row is every paired raw request, no more (warm-ups excluded).
        Assert.Equal(Repeats * timed.Count, raw.GetProperty("tokens_per_second_runs").GetArrayLength());
        Assert.True(raw.GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.Equal(1.0, raw.GetProperty("speedup_vs_raw").GetDouble(), tolerance: 1e-9);
        foreach (var row in timed)
        {
            string name = row.GetProperty("name").GetString()!;
            double[] rates = Doubles(row.GetProperty("tokens_per_second_runs"));
            double[] rawRates = Doubles(row.GetProperty("raw_tokens_per_second_runs"));
            double[] ratios = Doubles(row.GetProperty("paired_ratios_vs_raw"));
            Assert.Equal(Repeats, rates.Length);
            Assert.Equal(Repeats, rawRates.Length);
            Assert.All(rawRates, r => Assert.True(r > 0, $"{name}: raw rate {r}"));
            for (int i = 0; i < Repeats; i++)
            {
                Assert.Equal(rates[i] / rawRates[i], ratios[i], tolerance: 1e-3);
            }

            // vs raw is the median of the pairs' ratios (of two: their mean), not a ratio of medians taken apart.
            Assert.Equal(ratios.Average(), row.GetProperty("speedup_vs_raw").GetDouble(), tolerance: 1e-6);
        }
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
