using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;

namespace SpecAI.Cli.Bench;

/// <summary>
/// <c>specai bench-raw</c> (used by <c>specai bench</c>, run in a process of its own so no other context disturbs
/// it): a plain LLamaSharp greedy decode loop on the target — the native speed a chat client can at best reach —
/// and the cost of one decode of n sequences x 1 token relative to 1 x 1, b(n), which bounds what batching
/// concurrent requests can gain (n / b(n)).
/// </summary>
internal static class RawDecodeCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Target GGUF.", Required = true };
        var prompts = new Option<string>("--prompts") { Description = "JSON file: an array of prompt token-id arrays (the chat-formatted prompts of the bench).", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per request.", DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { Description = "Timed requests (after one warm-up).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Decode threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var batchSizes = new Option<string?>("--batch-sizes") { Description = "Also measure b(n) for these sequence counts, e.g. 1,2,4,8." };
        var cmd = new Command("bench-raw", "A plain LLamaSharp greedy decode loop (and batch costs), for the bench's `raw` row; prints JSON.") { Hidden = true };
        foreach (Option o in new Option[] { target, prompts, maxTokens, repeats, threads, batchSizes })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(parse =>
        {
            var promptTokens = JsonSerializer.Deserialize<int[][]>(File.ReadAllText(parse.GetValue(prompts)!)) ?? [];
            var sizes = (parse.GetValue(batchSizes) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var result = Run(parse.GetValue(target)!, promptTokens, parse.GetValue(maxTokens), parse.GetValue(repeats), parse.GetValue(threads), sizes);
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        });
        return cmd;
    }

    /// <summary>Runs <c>bench-raw</c> in a child process and parses its answer.</summary>
    public static RawResult RunChild(string target, IReadOnlyList<int[]> prompts, int maxTokens, int repeats, int threads, IReadOnlyList<int> batchSizes)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, JsonSerializer.Serialize(prompts));
            return BenchChildProcess.Run<RawResult>(
            [
                "bench-raw", "--target", target, "--prompts", file, "--max-tokens", maxTokens.ToString(CultureInfo.InvariantCulture),
                "--repeats", repeats.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture),
                "--batch-sizes", string.Join(',', batchSizes),
            ]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static RawResult Run(string target, int[][] prompts, int maxTokens, int repeats, int threads, int[] batchSizes)
    {
        NativeLibraryConfig.All.WithLogCallback((_, _) => { });
        int sequences = Math.Max(1, batchSizes.DefaultIfEmpty(1).Max());
        var parameters = new ModelParams(target) { ContextSize = 2048, BatchSize = 512, UBatchSize = 512, SeqMax = (uint)sequences, Threads = threads, BatchThreads = threads };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var handle = context.NativeHandle;
        var vocab = weights.Vocab;
        var batch = new LLamaBatch();

        double Generate(int[] prompt, out int generated)
        {
            handle.MemoryClear();
            var sw = Stopwatch.StartNew();
            batch.Clear();
            for (int i = 0; i < prompt.Length; i++)
            {
                batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
            }

            Decode(handle, batch);
            int position = prompt.Length;
            generated = 0;
            var logits = handle.GetLogitsIth(batch.TokenCount - 1);
            while (generated < maxTokens)
            {
                int token = ArgMax(logits);
                generated++;
                if (((LLamaToken)token).IsEndOfGeneration(vocab) || generated == maxTokens)
                {
                    break;
                }

                batch.Clear();
                batch.Add((LLamaToken)token, position++, LLamaSeqId.Zero, true);
                Decode(handle, batch);
                logits = handle.GetLogitsIth(0);
            }

            return sw.Elapsed.TotalSeconds;
        }

        Generate(prompts[0], out _);
        var rates = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            double seconds = Generate(prompts[(i + 1) % prompts.Length], out int n);
            rates.Add(Math.Round(n / seconds, 2));
        }

        return new RawResult { TokensPerSecondRuns = rates, TokensPerSecond = BenchMath.Median(rates), BatchCostMs = BatchCosts(handle, batch, batchSizes) };
    }

    /// <summary>Mean wall time of one decode of n sequences x 1 token, after each sequence holds a short prompt.</summary>
    private static Dictionary<int, double> BatchCosts(SafeLLamaContextHandle handle, LLamaBatch batch, int[] sizes)
    {
        var costs = new Dictionary<int, double>();
        const int prefix = 16, rounds = 12;
        foreach (int n in sizes)
        {
            handle.MemoryClear();
            batch.Clear();
            for (int s = 0; s < n; s++)
            {
                for (int i = 0; i < prefix; i++)
                {
                    batch.Add((LLamaToken)(10 + (s * 7 + i) % 50), i, (LLamaSeqId)s, false);
                }
            }

            Decode(handle, batch);
            var times = new List<double>();
            for (int r = 0; r < rounds + 2; r++)
            {
                batch.Clear();
                for (int s = 0; s < n; s++)
                {
                    batch.Add((LLamaToken)(20 + r + s), prefix + r, (LLamaSeqId)s, true);
                }

                var sw = Stopwatch.StartNew();
                Decode(handle, batch);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }

            costs[n] = Math.Round(BenchMath.Median(times.Skip(2)), 3);
        }

        return costs;
    }

    private static void Decode(SafeLLamaContextHandle handle, LLamaBatch batch)
    {
        var result = handle.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"decode failed: {result}");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
