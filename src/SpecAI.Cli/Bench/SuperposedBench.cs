using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LLama.Common;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Superposed;

namespace SpecAI.Cli.Bench;

/// <summary>
/// <c>specai bench --superposed</c>: Superposed Decoding (Shen et al., NeurIPS 2024) k = 2, 3, 5 suggestions against one
/// greedy completion and k nucleus samples (top-p 0.9) decoded together in one batch, same token count, side by
/// side on one client, medians over repeats; quality: the target's mean log-likelihood per token of each output
/// (teacher-forced with real tokens afterwards), and distinctness (mean pairwise Jaccard overlap of token sets).
/// </summary>
internal static class SuperposedBench
{
    private static readonly string[] Prompts =
    [
        "Once upon a time, there was a little girl named Lily. She",
        "One day, a boy named Tom went to the park with his mom. He",
        "The cat was very hungry. It looked for food in the",
        "Sam had a big red ball. He liked to",
        "It was a sunny day. The birds were singing and the",
        "Mia wanted to help her dad in the garden. She",
        "There was a small dog who lived in a house near the",
        "Ben and Sue found a box in the attic. Inside the box",
    ];

    public static async Task<int> RunAsync(string targetPath, int[] ks, int maxTokens, int repeats, int threads, string jsonPath, string markdownPath, string plotPath, CancellationToken ct)
    {
        var rows = new List<Row>();
        var outputs = new List<(string Method, int K, int[] Prompt, int[][] Outputs)>();
        var options = new SpeculativeChatClientOptions
        {
            TargetModelPath = targetPath,
            ContextSize = 4096,
            Threads = threads,
            MaxConcurrentRequests = Math.Max(8, ks.Max()),
        };
        Console.WriteLine($"superposed bench: {Path.GetFileName(targetPath)}, k = {string.Join(",", ks)}, {maxTokens} tokens, {repeats} repeats, {threads} threads");
        var times = new Dictionary<(string, int), List<double>>();
        using (var client = await SpeculativeChatClient.CreateAsync(options, cancellationToken: ct))
        {
            var stop = client.StopTokens;
            int serial = 0;
            int[] Prompt(int repeat)
            {
                // A new number first, so no method reuses another's cached prompt: every row prefills the same length.
                string text = string.Create(CultureInfo.InvariantCulture, $"{serial++}. {Prompts[repeat % Prompts.Length]}");
                return client.TokenizePrompt([new(ChatRole.User, text)], Raw());
            }

            async Task<(double Ms, int[][] Outputs)> Timed(Func<Task<int[][]>> run)
            {
                long start = Stopwatch.GetTimestamp();
                var result = await run();
                return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, result);
            }

            Task<int[][]> Greedy(int[] prompt) => Samples(client, prompt, 1, 0, maxTokens, ct);
            Task<int[][]> Nucleus(int[] prompt, int k) => Samples(client, prompt, k, 1.0, maxTokens, ct);
            async Task<int[][]> Superposed(int[] prompt, int k)
            {
                var result = await client.SuperposeTokensAsync(prompt, new SuperposedSettings { Suggestions = k, MaxTokens = maxTokens, StopTokens = stop }, ct);
                return result.Suggestions.Select(s => s.Tokens.ToArray()).ToArray();
            }

            // Warm-up: the first decodes of a context are slow.
            await Greedy(Prompt(0));
            await Superposed(Prompt(0), ks[0]);
            await Nucleus(Prompt(0), ks[0]);

            for (int r = 0; r < repeats; r++)
            {
                ct.ThrowIfCancellationRequested();
                var one = await Timed(() => Greedy(Prompt(r)));
                Add(times, ("greedy (one completion)", 1), one.Ms);
                outputs.Add(("greedy", 1, Prompt(r), one.Outputs));
                foreach (int k in ks)
                {
                    int[] p1 = Prompt(r);
                    var sup = await Timed(() => Superposed(p1, k));
                    Add(times, ("superposed", k), sup.Ms);
                    outputs.Add(("superposed", k, p1, sup.Outputs));
                    int[] p2 = Prompt(r);
                    var nuc = await Timed(() => Nucleus(p2, k));
                    Add(times, ("nucleus batched", k), nuc.Ms);
                    outputs.Add(("nucleus", k, p2, nuc.Outputs));
                }

                Console.WriteLine($"  repeat {r + 1}/{repeats} done");
            }
        }

        // Quality, afterwards on this thread: teacher-forced target log-likelihood of the real tokens.
        using var scorer = LLamaModelSession.Load(targetPath, new ModelParams(targetPath) { ContextSize = 1024, BatchSize = 512, SeqMax = 1, Threads = threads });
        double greedyMs = BenchMath.Median(times[("greedy (one completion)", 1)]);
        var quality = outputs.GroupBy(o => (o.Method, o.K)).ToDictionary(
            g => g.Key,
            g => (
                LogLikelihood: Mean(g.SelectMany(o => o.Outputs.Select(x => (Sum: LogLikelihood(scorer, o.Prompt, x), x.Length)))),
                FirstLogLikelihood: Mean(g.Select(o => (Sum: LogLikelihood(scorer, o.Prompt, o.Outputs[0]), o.Outputs[0].Length))),
                Overlap: g.Key.K > 1 ? g.Select(o => PairwiseOverlap(o.Outputs)).Average() : double.NaN,
                Tokens: g.SelectMany(o => o.Outputs).Average(x => x.Length)));
        rows.Add(MakeRow("greedy (one completion)", 1, times[("greedy (one completion)", 1)], greedyMs, double.NaN, quality[("greedy", 1)]));
        foreach (int k in ks)
        {
            double nucleusMs = BenchMath.Median(times[("nucleus batched", k)]);
            rows.Add(MakeRow("superposed", k, times[("superposed", k)], greedyMs, nucleusMs, quality[("superposed", k)]));
            rows.Add(MakeRow("nucleus top-p 0.9, batched", k, times[("nucleus batched", k)], greedyMs, nucleusMs, quality[("nucleus", k)]));
        }

        var report = new
        {
            Model = Path.GetFileName(targetPath),
            MaxTokens = maxTokens,
            Repeats = repeats,
            Threads = threads,
            Cpu = BenchOutput.CpuModel(),
            Rows = rows,
        };
        BenchOutput.Write(jsonPath, JsonSerializer.Serialize(report, BenchOutput.JsonOptions));
        string markdown = Markdown(report.Model, maxTokens, repeats, threads, rows);
        BenchOutput.Write(markdownPath, markdown);
        Plot(rows, report.Model, maxTokens, repeats, plotPath);
        Console.WriteLine(markdown);
        return 0;
    }

    private static ChatOptions Raw() => new() { AdditionalProperties = new() { [SpeculativeChatOptionKeys.RawPrompt] = true } };

    /// <summary>k independent samples of the same prompt as k concurrent requests (the client decodes them in shared batches).</summary>
    private static async Task<int[][]> Samples(SpeculativeChatClient client, int[] prompt, int k, double temperature, int maxTokens, CancellationToken ct)
    {
        var settingsFor = (int seed) => new ChatOptions
        {
            Temperature = (float)temperature,
            TopP = temperature > 0 ? 0.9f : null,
            Seed = seed,
            MaxOutputTokens = maxTokens,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = "none" },
        };
        return await Task.WhenAll(Enumerable.Range(0, k).Select(i => client.GenerateTokensAsync(prompt, settingsFor(1000 + i), ct)));
    }

    private static void Add(Dictionary<(string, int), List<double>> times, (string, int) key, double ms)
    {
        if (!times.TryGetValue(key, out var list))
        {
            times[key] = list = new List<double>();
        }

        list.Add(ms);
    }

    private static Row MakeRow(string method, int k, List<double> ms, double greedyMs, double nucleusMs, (double LogLikelihood, double FirstLogLikelihood, double Overlap, double Tokens) q)
    {
        double median = BenchMath.Median(ms);
        return new Row(method, k, median, median / greedyMs, double.IsNaN(nucleusMs) ? null : median / nucleusMs, q.LogLikelihood, q.FirstLogLikelihood, BenchMath.Finite(q.Overlap), q.Tokens);
    }

    private static double Mean(IEnumerable<(double Sum, int Count)> parts)
    {
        var list = parts.ToList();
        int count = list.Sum(p => p.Count);
        return count == 0 ? double.NaN : list.Sum(p => p.Sum) / count;
    }

    /// <summary>Sum of log p(output token | prompt, earlier output) under the target at temperature 1.</summary>
    private static double LogLikelihood(LLamaModelSession scorer, int[] prompt, int[] output)
    {
        if (output.Length == 0)
        {
            return 0;
        }

        scorer.RemoveTokens(0, 0);
        var batch = new DecodeBatch();
        int[] all = [.. prompt, .. output];
        for (int i = 0; i < all.Length - 1; i++)
        {
            batch.Add(all[i], i, 0, wantLogits: i >= prompt.Length - 1);
        }

        scorer.Decode(batch);
        double sum = 0;
        for (int j = 0; j < output.Length; j++)
        {
            sum += LogSoftmax.At(scorer.GetLogits(prompt.Length - 1 + j), output[j]);
        }

        return sum;
    }

    /// <summary>Mean over pairs of |A ∩ B| / |A ∪ B| of the outputs' token sets (1 = same tokens, 0 = disjoint).</summary>
    private static double PairwiseOverlap(int[][] outputs)
    {
        var sets = outputs.Select(o => o.ToHashSet()).ToList();
        var values = new List<double>();
        for (int i = 0; i < sets.Count; i++)
        {
            for (int j = i + 1; j < sets.Count; j++)
            {
                int union = sets[i].Union(sets[j]).Count();
                values.Add(union == 0 ? 1 : sets[i].Intersect(sets[j]).Count() / (double)union);
            }
        }

        return values.Count == 0 ? double.NaN : values.Average();
    }

    private static string Markdown(string model, int maxTokens, int repeats, int threads, List<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### {model}: {maxTokens} tokens per output, median of {repeats}, {threads} threads");
        sb.AppendLine();
        sb.AppendLine("| method | k | wall ms (median) | x one completion | x k nucleus batched | target log-lik / token (all outputs) | log-lik / token (first output: best suggestion, or sample 1) | pairwise overlap | tokens / output |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Method} | {r.K} | {r.WallMs:0.0} | {r.VsOneCompletion:0.00} | {(r.VsNucleusBatched is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "")} | {r.LogLikelihoodPerToken:0.000} | {r.FirstOutputLogLikelihoodPerToken:0.000} | {(r.PairwiseOverlap is { } o ? o.ToString("0.00", CultureInfo.InvariantCulture) : "")} | {r.TokensPerOutput:0.0} |");
        }

        return sb.ToString();
    }

    private static void Plot(List<Row> rows, string model, int maxTokens, int repeats, string path)
    {
        var plt = new ScottPlot.Plot();
        var labels = rows.Select(r => r.K == 1 ? "greedy x1" : string.Create(CultureInfo.InvariantCulture, $"{(r.Method == "superposed" ? "superposed" : "nucleus")} k={r.K}")).ToArray();
        plt.Add.Bars(rows.Select(r => r.VsOneCompletion).ToArray());
        plt.Add.HorizontalLine(1.5);
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, rows.Count).Select(i => (double)i).ToArray(), labels);
        plt.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plt.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plt.Axes.Margins(bottom: 0);
        plt.Axes.Bottom.MinimumSize = 110;
        plt.YLabel("wall time / one completion (median)");
        string name = model.Length > 32 ? model[..14] + "..." + model[^15..] : model;
        plt.Title(string.Create(CultureInfo.InvariantCulture, $"Superposed Decoding, {name} ({maxTokens} tokens, median of {repeats}; line = 1.5x)"));
        BenchOutput.SavePlot(plt, path);
    }

    private sealed record Row(string Method, int K, double WallMs, double VsOneCompletion, double? VsNucleusBatched, double LogLikelihoodPerToken, double FirstOutputLogLikelihoodPerToken, double? PairwiseOverlap, double TokensPerOutput);
}
