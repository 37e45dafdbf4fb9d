using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;

namespace SpecAI.Cli.Bench;

/// <summary>
/// <c>specai bench --concurrency 1,2,4,8</c>: n callers at once on one client, plain and speculative (adaptive)
/// decoding, aggregate tokens/s next to the batching limit n / b(n) measured in the same run, and latency
/// percentiles (time to first token, inter-token latency).
/// </summary>
internal static class ConcurrencyBench
{
    /// <summary>The whole command: the raw process for b(n) and the native single-request speed, then every level, then JSON, markdown and a plot.</summary>
    public static async Task<int> RunCommandAsync(
        string targetPath, string draftPath, IReadOnlyList<int> levels, IReadOnlyList<string> prompts, int maxTokens, int rounds, double temperature,
        string? json, string? markdown, string? plot, CancellationToken ct)
    {
        int threads = Math.Max(1, Environment.ProcessorCount);
        var options = new SpeculativeChatClientOptions
        {
            TargetModelPath = targetPath,
            DraftModelPath = draftPath,
            ContextSize = 4096,
            MaxOutputTokens = maxTokens,
            Threads = threads,
            MaxConcurrentRequests = Math.Max(1, levels.Max()),
        };
        using var client = await SpeculativeChatClient.CreateAsync(options, cancellationToken: ct).ConfigureAwait(false);
        var promptTokens = prompts.Select(p => client.TokenizePrompt([new ChatMessage(ChatRole.User, p)], null)).ToList();
        var raw = RawDecodeCommand.RunChild(targetPath, promptTokens, maxTokens, rounds, threads, levels.Append(1).Distinct().Order().ToList());
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raw greedy loop: {raw.TokensPerSecond:F1} tok/s; b(n) ms: {string.Join(", ", raw.BatchCostMs.Select(kv => $"{kv.Key}: {kv.Value:F2}"))}"));
        var results = await RunAsync(client, levels, prompts, maxTokens, rounds, temperature, options.DraftLength, raw.BatchCostMs, ct).ConfigureAwait(false);
        var report = new ConcurrencyReport
        {
            Command = "specai " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            Target = Path.GetFileName(targetPath),
            Draft = Path.GetFileName(draftPath),
            Cores = Environment.ProcessorCount,
            MaxTokens = maxTokens,
            Rounds = rounds,
            Temperature = temperature,
            RawTokensPerSecond = raw.TokensPerSecond,
            BatchCostMs = raw.BatchCostMs,
            Results = results,
        };
        string table = Markdown(results);
        Console.WriteLine(table);
        if (json is not null)
        {
            BenchOutput.Write(json, System.Text.Json.JsonSerializer.Serialize(report, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }

        if (markdown is not null)
        {
            BenchOutput.Write(markdown, table);
        }

        if (plot is not null)
        {
            Plot(report, plot);
        }

        return 0;
    }

    public static async Task<List<ConcurrencyResult>> RunAsync(
        SpeculativeChatClient client, IReadOnlyList<int> levels, IReadOnlyList<string> prompts, int maxTokens, int rounds, double temperature,
        int draftLength, IReadOnlyDictionary<int, double> batchCostMs, CancellationToken ct)
    {
        var results = new List<ConcurrencyResult>();
        double plainAtOne = double.NaN;
        foreach (int n in levels)
        {
            double limit = batchCostMs.TryGetValue(n, out double cost) && batchCostMs.TryGetValue(1, out double one) && cost > 0 ? n * one / cost : double.NaN;
            double plain = double.NaN;
            foreach (string mode in new[] { "plain", "speculative" })
            {
                var options = new ChatOptions
                {
                    Temperature = (float)temperature,
                    MaxOutputTokens = maxTokens,
                    Seed = 1234,
                    AdditionalProperties = mode == "plain"
                        ? new() { [SpeculativeChatOptionKeys.Mode] = "none" }
                        : new() { [SpeculativeChatOptionKeys.Mode] = "draft", [SpeculativeChatOptionKeys.Adaptive] = true, [SpeculativeChatOptionKeys.DraftLength] = draftLength },
                };

                await RoundAsync(client, n, prompts, 0, options, ct); // warm-up at this level
                var rates = new List<double>();
                var ttft = new List<double>();
                var itl = new List<double>();
                for (int r = 0; r < rounds; r++)
                {
                    var round = await RoundAsync(client, n, prompts, (r + 1) * n, options, ct);
                    rates.Add(round.TokensPerSecond);
                    ttft.AddRange(round.FirstTokenMs);
                    itl.AddRange(round.InterTokenMs);
                }

                double tps = BenchMath.Median(rates);
                if (mode == "plain")
                {
                    plain = tps;
                    if (n == levels[0] && n == 1)
                    {
                        plainAtOne = tps;
                    }
                }

                var result = new ConcurrencyResult
                {
                    Concurrency = n,
                    Mode = mode,
                    TokensPerSecond = Math.Round(tps, 2),
                    TokensPerSecondRounds = rates,
                    BatchingLimit = BenchMath.Finite(limit),
                    Scaling = BenchMath.Finite(tps / plainAtOne),
                    BatchingEfficiency = BenchMath.Finite(tps / plainAtOne / limit),
                    SpeculativeVsPlain = mode == "speculative" ? BenchMath.Finite(tps / plain) : null,
                    TimeToFirstTokenP50Ms = BenchMath.Finite(BenchMath.Percentile(ttft, 0.5)),
                    TimeToFirstTokenP95Ms = BenchMath.Finite(BenchMath.Percentile(ttft, 0.95)),
                    InterTokenP50Ms = BenchMath.Finite(BenchMath.Percentile(itl, 0.5)),
                    InterTokenP95Ms = BenchMath.Finite(BenchMath.Percentile(itl, 0.95)),
                };
                results.Add(result);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[concurrency {n}] {mode}: {tps:F1} tok/s (limit n/b(n) {limit:F2}), TTFT p50 {result.TimeToFirstTokenP50Ms:F0} ms, ITL p50 {result.InterTokenP50Ms:F1} ms"));
            }
        }

        return results;
    }

    public static string Markdown(IEnumerable<ConcurrencyResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| concurrency | mode | tok/s (all callers) | x plain at 1 | limit n/b(n) | efficiency | spec / plain | TTFT p50 / p95 ms | ITL p50 / p95 ms |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Concurrency} | {r.Mode} | {r.TokensPerSecond:F1} | {F(r.Scaling)} | {F(r.BatchingLimit)} | {F(r.BatchingEfficiency)} | {F(r.SpeculativeVsPlain)} | {F(r.TimeToFirstTokenP50Ms, "F0")} / {F(r.TimeToFirstTokenP95Ms, "F0")} | {F(r.InterTokenP50Ms, "F1")} / {F(r.InterTokenP95Ms, "F1")} |"));
        }

        return sb.ToString();
    }

    /// <summary>n concurrent streaming requests with distinct prompts; per request the first-token time and the gaps between tokens.</summary>
    private static async Task<(double TokensPerSecond, List<double> FirstTokenMs, List<double> InterTokenMs)> RoundAsync(
        SpeculativeChatClient client, int n, IReadOnlyList<string> prompts, int offset, ChatOptions options, CancellationToken ct)
    {
        var wall = Stopwatch.StartNew();
        var first = new double[n];
        var gaps = new List<double>[n];
        var tokens = new long[n];
        await Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
        {
            gaps[i] = new List<double>();
            var sw = Stopwatch.StartNew();
            double last = double.NaN;
            long seen = 0;
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, prompts[(offset + i) % prompts.Count])], options.Clone(), ct).ConfigureAwait(false))
            {
                long generated = update.AdditionalProperties?.TryGetValue(SpeculativeChatOptionKeys.GeneratedTokens, out object? g) == true ? Convert.ToInt64(g, CultureInfo.InvariantCulture) : seen;
                double now = sw.Elapsed.TotalMilliseconds;
                if (generated > seen)
                {
                    if (seen == 0)
                    {
                        first[i] = now;
                    }
                    else
                    {
                        gaps[i].Add((now - last) / (generated - seen));
                    }

                    (seen, last) = (generated, now);
                }

                if (update.Contents.OfType<UsageContent>().FirstOrDefault() is { } usage)
                {
                    tokens[i] = usage.Details.OutputTokenCount ?? seen;
                }
            }
        })).ConfigureAwait(false);
        return (tokens.Sum() / wall.Elapsed.TotalSeconds, first.ToList(), gaps.SelectMany(g => g).ToList());
    }

    private static void Plot(ConcurrencyReport report, string path)
    {
        var plt = new ScottPlot.Plot();
        foreach (string mode in new[] { "plain", "speculative" })
        {
            var rows = report.Results.Where(r => r.Mode == mode).ToList();
            var line = plt.Add.Scatter(rows.Select(r => (double)r.Concurrency).ToArray(), rows.Select(r => r.TokensPerSecond).ToArray());
            line.LegendText = mode;
        }

        var plain = report.Results.Where(r => r.Mode == "plain" && r.BatchingLimit is not null).ToList();
        double one = report.Results.FirstOrDefault(r => r.Mode == "plain" && r.Concurrency == 1)?.TokensPerSecond ?? double.NaN;
        if (double.IsFinite(one) && plain.Count > 0)
        {
            var limit = plt.Add.Scatter(plain.Select(r => (double)r.Concurrency).ToArray(), plain.Select(r => one * r.BatchingLimit!.Value).ToArray());
            limit.LegendText = "batching limit (plain at 1 x n / b(n))";
            limit.LinePattern = ScottPlot.LinePattern.Dashed;
        }

        plt.XLabel("concurrent requests");
        plt.YLabel("tokens / s, all callers (median)");
        plt.Title(string.Create(CultureInfo.InvariantCulture, $"specai bench --concurrency ({report.Cores} cores, {report.MaxTokens} tokens, T={report.Temperature})"));
        plt.ShowLegend();
        BenchOutput.SavePlot(plt, path);
    }

    private static string F(double? v, string format = "F2") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
}
