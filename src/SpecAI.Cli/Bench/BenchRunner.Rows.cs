using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Cli.Bench;

// One row: its chat options, the warm-up, and the timed requests (each paired with a raw request).
internal static partial class BenchRunner
{
    /// <summary>The per-request options of a row.</summary>
    private static ChatOptions ChatOptionsFor(RunSpec spec)
    {
        var chat = new ChatOptions { AdditionalProperties = [] };
        chat.AdditionalProperties[SpeculativeChatOptionKeys.Mode] = spec.Mode.ToString();
        if (spec.Mode != SpeculationMode.None)
        {
            chat.AdditionalProperties[SpeculativeChatOptionKeys.DraftLength] = spec.DraftLength;
            chat.AdditionalProperties[SpeculativeChatOptionKeys.Verifier] = spec.Verifier;
            chat.AdditionalProperties[SpeculativeChatOptionKeys.DraftCount] = spec.DraftCount;
            chat.AdditionalProperties[SpeculativeChatOptionKeys.Adaptive] = spec.Adaptive;
        }

        return chat;
    }

    /// <summary>
    /// One untimed request of every row (and of the raw loop) before the first timed row: .NET compiles each code path
    /// first unoptimised (tier 0) and recompiles it in the background once it ran a while, so without this the first
    /// row, and each row that takes a new path (speculation, multi-draft, prompt lookup), paid that start-up under its
    /// own timed requests while the rows after it did not; the raw loop's few methods warm within one request.
    /// </summary>
    private static async Task WarmUpAsync(SpeculativeChatClient client, IEnumerable<RunSpec> specs, int maxTokens, double temperature, PairedRaw? paired, CancellationToken ct)
    {
        foreach (var spec in specs)
        {
            var options = ChatOptionsFor(spec);
            (options.MaxOutputTokens, options.Temperature, options.Seed) = (maxTokens, (float)temperature, 1234);
            try
            {
                await client.GetResponseAsync([new ChatMessage(ChatRole.User, BenchCommand.Prompts[^1])], options, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The row reports its own failure when it runs.
            }

            if (paired is not null)
            {
                await paired.WarmUpAsync();
            }
        }
    }

    /// <summary>Multi-draft rows: at T = 0 every lossless rule is greedy matching, so only deterministic top-k drafts differ.</summary>
    private static IEnumerable<(string Verifier, int K)> MultiRows(double temperature, bool sweep)
    {
        if (temperature <= 0)
        {
            return [("topk", 2)];
        }

        return sweep ? [("kseq", 2)] : [("kseq", 2), ("kseq", 4), ("rrs-wor", 2), ("greedy-draft", 2)];
    }

    private static async Task<(RunResult Result, BoundInputs? Bound, double SingleTokenMs)> RunSpecAsync(
        SpeculativeChatClient client, BenchSettings s, RunSpec spec, double temperature, double? agreement, double? calibrated, double singleTokenMs, PairedRaw? paired, CancellationToken ct)
    {
        var chat = ChatOptionsFor(spec);
        var result = new RunResult
        {
            Name = spec.Name, Mode = spec.Mode.ToString(), Verifier = spec.Verifier, DraftLength = spec.DraftLength, DraftCount = spec.DraftCount,
            Adaptive = spec.Adaptive, Agreement = agreement, CalibratedAgreement = calibrated, Temperature = temperature,
        };
        BoundInputs? bound = null;
        double single = double.NaN;
        try
        {
            StatisticsSnapshot? before = null;
            var r = await TimeAsync(client, s.MaxTokens, s.Repeats, temperature, chat, null, ct, afterWarmup: () => before = StatisticsSnapshot.Of(client.Statistics), paired: paired);
            var d = StatisticsSnapshot.Of(client.Statistics) - before!;
            result.TokensPerSecond = r.Median;
            if (r.RawRates is { Count: > 0 } rawRates)
            {
                result.RawTokensPerSecond = BenchMath.Median(rawRates);
                result.RawTokensPerSecondRuns = rawRates;
                result.PairedRatiosVsRaw = r.Rates.Zip(rawRates, (x, y) => Math.Round(x / y, 4)).ToList();
                result.RawMsPerDecode = BenchMath.Finite(Math.Round(BenchMath.Median(r.RawSamples!.Select(x => x.MsPerDecode)), 3));
                result.RawPrefillMs = BenchMath.Finite(Math.Round(BenchMath.Median(r.RawSamples!.Select(x => x.PrefillMs)), 3));
            }

            result.TokensPerSecondRuns = r.Rates;
            result.Repeats = r.Rates.Count;
            result.GeneratedTokens = r.Tokens;
            result.TargetCalls = d.TargetCalls;
            result.StepsWithSpeculationOff = d.SpeculationOff;
            result.TargetMsPerCall = BenchMath.Finite(d.TargetMs / d.TargetCalls);
            result.VerifyMsPerCall = BenchMath.Finite(d.VerifyMs / d.TargetCalls);
            result.TokensPerTargetCall = d.TargetCalls > 0 ? (double)r.Tokens / Math.Max(1, d.TargetCalls) : null;
            if (d.SnapshotRollbacks + d.CheckpointRestores > 0 || d.RollbackMs > 0)
            {
                (result.SnapshotRollbacks, result.CheckpointRestores, result.ReplayedTokens) = (d.SnapshotRollbacks, d.CheckpointRestores, d.ReplayedTokens);
                result.RollbackMsPerCall = BenchMath.Finite(d.RollbackMs / d.TargetCalls);
            }

            if (spec.Adaptive)
            {
                result.FinalDraftLength = client.Statistics.CurrentDraftLength;
            }

            if (d.SingleCalls > 0)
            {
                single = d.SingleMs / d.SingleCalls;
            }

            double unit = spec.Mode == SpeculationMode.None ? single : singleTokenMs;
            result.VerifyMsPerStep = result.VerifyMsPerCall;
            result.VerifyMsPerNode = BenchMath.Finite(d.VerifyMs / d.Committed);
            result.DraftManagedMsPerNode = d.Drafted > 0 ? BenchMath.Finite(d.DraftManagedMs / d.Drafted) : null;
            result.DecodeMs = BenchMath.Finite(unit);
            if (d.Drafted > 0 && d.TargetCalls > 0)
            {
                result.AcceptanceRate = (double)d.Accepted / d.Drafted;
                result.MeanAcceptedLength = (double)d.Accepted / d.TargetCalls;
                double g = (double)d.Drafted / d.TargetCalls / spec.DraftCount; // drafted tokens per draft sequence per step
                double a = SpeculationBounds.AcceptanceFromMeanAccepted(result.MeanAcceptedLength.Value, g);
                double draftStepMs = d.DraftCalls > 0 ? d.DraftMs / d.DraftCalls : double.NaN;

                // Multi-draft decodes k drafts per batch; PromptLookup has no draft model (c = 0).
                double c = spec.Mode == SpeculationMode.PromptLookup ? d.DraftMs / Math.Max(1, d.Drafted) / unit : draftStepMs / unit;
                result.DraftTokensPerStep = BenchMath.Finite(g);
                result.PerTokenAcceptance = BenchMath.Finite(a);
                result.CostRatio = BenchMath.Finite(c);
                result.BoundSpeedup = BenchMath.Finite(SpeculationBounds.Speedup(a, g, c));
                if (double.IsFinite(c))
                {
                    bound = new BoundInputs(a, g, c, d.BatchCalls);
                }
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[a={agreement} T={temperature}] {spec.Name}: {r.Median:F1} tok/s, target calls {d.TargetCalls}, acc {result.AcceptanceRate:F3}, c {result.CostRatio:F3}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            result.Status = "skipped: " + ex.GetType().Name + ": " + ex.Message;
            Console.Error.WriteLine($"{spec.Name}: {result.Status}");
        }

        return (result, bound, single);
    }

    /// <summary>
    /// One warm-up request, then <paramref name="repeats"/> timed ones over the bench prompts (each a new one-message
    /// conversation with a different prompt): median tokens/s, tokens, each rate. With <paramref name="paired"/>, a raw
    /// request on the same prompt runs next to each timed one (before it on even requests, after it on odd ones).
    /// </summary>
    internal static async Task<(double Median, long Tokens, List<double> Rates, List<double>? RawRates, List<RawSample>? RawSamples)> TimeAsync(
        IChatClient client, int maxTokens, int repeats, double temperature, ChatOptions baseOptions, Func<string, int>? countTokens, CancellationToken ct, Action? afterWarmup = null,
        PairedRaw? paired = null)
    {
        ChatOptions Options()
        {
            var o = baseOptions.Clone();
            o.MaxOutputTokens = maxTokens;
            o.Temperature = (float)temperature;
            o.Seed = 1234;
            return o;
        }

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello, warm up please.")], Options(), ct);
        if (paired is not null)
        {
            await paired.WarmUpAsync();
        }

        afterWarmup?.Invoke();
        var rates = new List<double>();
        var rawRates = paired is null ? null : new List<double>();
        var rawSamples = paired is null ? null : new List<RawSample>();
        long tokens = 0;
        for (int i = 0; i < repeats; i++)
        {
            int prompt = i % BenchCommand.Prompts.Length;
            RawSample? rawSample = paired is not null && i % 2 == 0 ? await paired.RunAsync(prompt) : null;
            var sw = Stopwatch.StartNew();
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, BenchCommand.Prompts[prompt])], Options(), ct);
            sw.Stop();
            long n = response.Usage?.OutputTokenCount ?? countTokens?.Invoke(response.Text) ?? 0;
            tokens += n;
            rates.Add(Math.Round(n / sw.Elapsed.TotalSeconds, 2));
            if (paired is not null)
            {
                rawSample ??= await paired.RunAsync(prompt);
                rawRates!.Add(Math.Round(rawSample.TokensPerSecond, 2));
                rawSamples!.Add(rawSample);
            }
        }

        return (BenchMath.Median(rates), tokens, rates, rawRates, rawSamples);
    }
}
