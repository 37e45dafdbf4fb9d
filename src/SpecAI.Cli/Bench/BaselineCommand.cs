using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LLama;
using LLama.Abstractions;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;

namespace SpecAI.Cli.Bench;

/// <summary>
/// <c>specai bench-baseline</c> (used by <c>specai bench</c> for its <c>baseline</c> row): LLamaSharp's own
/// <see cref="IChatClient"/> over a <see cref="StatelessExecutor"/> on the target, in a process of its own so that its
/// executor's threads and our client's scheduler do not share one (see <see cref="BenchChildProcess"/>).
/// </summary>
internal static class BaselineCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Target GGUF.", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per request.", DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { Description = "Timed requests (after one warm-up).", DefaultValueFactory = _ => 3 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Decode threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("bench-baseline", "LLamaSharp's own chat client on the target, for the bench's `baseline` row; prints JSON.") { Hidden = true };
        foreach (Option o in new Option[] { target, maxTokens, repeats, temperature, threads })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (parse, ct) =>
        {
            NativeLibraryConfig.All.WithLogCallback((_, _) => { });
            int n = parse.GetValue(threads);
            var parameters = new ModelParams(parse.GetValue(target)!) { ContextSize = 2048, Threads = n, BatchThreads = n };
            using var weights = LLamaWeights.LoadFromFile(parameters);
            using IChatClient baseline = new StatelessExecutor(weights, parameters).AsChatClient();
            var (median, tokens, rates, _, _) = await BenchRunner.TimeAsync(
                baseline, parse.GetValue(maxTokens), parse.GetValue(repeats), parse.GetValue(temperature), new ChatOptions(), text => weights.Tokenize(text, false, false, Encoding.UTF8).Length, ct);
            Console.WriteLine(JsonSerializer.Serialize(new BaselineResult { TokensPerSecond = median, Tokens = tokens, TokensPerSecondRuns = rates }));
            return 0;
        });
        return cmd;
    }

    /// <summary>Runs <c>bench-baseline</c> in a child process and parses its answer.</summary>
    public static BaselineResult RunChild(string target, int maxTokens, int repeats, double temperature, int threads)
        => BenchChildProcess.Run<BaselineResult>(
        [
            "bench-baseline", "--target", target, "--max-tokens", maxTokens.ToString(CultureInfo.InvariantCulture),
            "--repeats", repeats.ToString(CultureInfo.InvariantCulture), "--temperature", temperature.ToString(CultureInfo.InvariantCulture),
            "--threads", threads.ToString(CultureInfo.InvariantCulture),
        ]);
}
