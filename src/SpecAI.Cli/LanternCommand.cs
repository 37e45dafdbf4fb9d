using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LLama.Common;
using Microsoft.Extensions.AI;
using SpecAI.Cli.Bench;
using SpecAI.Extensions;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Gguf;
using SpecAI.Extensions.Judge;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Cli;

/// <summary>
/// <c>specai lantern</c>: what LANTERN's relaxation (lossy, TV-bounded) buys and costs. Per draft, temperature and
/// delta, side by side with standard verification on the same seeds: tokens per target call, the measured per-node
/// TV distance between p~ and p, and quality as the target's own mean log-likelihood per token of the answers
/// (temperature 1, no transform). With <c>--node-cost</c>, the per-node verification time at a large vocabulary.
/// </summary>
internal static class LanternCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Target GGUF (its token_embd must be F32, F16, BF16, Q8_0 or Q4_0)." };
        var drafts = new Option<string[]>("--draft") { Description = "Draft GGUF; repeat for several.", AllowMultipleArgumentsPerToken = true };
        var temperatures = new Option<double[]>("--temperatures") { Description = "Temperatures.", DefaultValueFactory = _ => [0.7, 1.0], AllowMultipleArgumentsPerToken = true };
        var deltas = new Option<double[]>("--deltas") { Description = "TV budgets delta.", DefaultValueFactory = _ => [0, 0.05, 0.1, 0.2, 0.4], AllowMultipleArgumentsPerToken = true };
        var k = new Option<int>("--k") { Description = "Neighbourhood size k.", DefaultValueFactory = _ => LanternVerifier.DefaultNeighbourCount };
        var draftLength = new Option<int>("--draft-length") { Description = "Draft length g.", DefaultValueFactory = _ => 4 };
        var seeds = new Option<int>("--seeds") { Description = "Requests per row (one seed each, the same seeds in every row).", DefaultValueFactory = _ => 40 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per request.", DefaultValueFactory = _ => 64 };
        var prompt = new Option<string>("--prompt") { Description = "User message.", DefaultValueFactory = _ => "Once upon a time, there was a little girl named Lily." };
        var output = new Option<string?>("--output") { Description = "Folder for lantern.json, lantern.md and lantern.png." };
        var nodeCost = new Option<string?>("--node-cost") { Description = "Instead: time one verified node (standard vs LANTERN) on random logits over this GGUF's vocabulary, embeddings read from it." };
        var repeats = new Option<int>("--repeats") { Description = "Nodes timed per case with --node-cost (median reported).", DefaultValueFactory = _ => 300 };
        var command = new Command("lantern", "LANTERN relaxed verification (lossy, TV-bounded): tokens per target call, measured TV and quality against standard verification; or its per-node cost.");
        foreach (var option in new Option[] { target, drafts, temperatures, deltas, k, draftLength, seeds, maxTokens, prompt, output, nodeCost, repeats })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(nodeCost) is { } costModel)
            {
                return NodeCost(costModel, parse.GetValue(k), parse.GetValue(deltas)!, parse.GetValue(repeats));
            }

            string targetPath = parse.GetValue(target) ?? throw new ArgumentException("--target is required.");
            string[] draftPaths = parse.GetValue(drafts) is { Length: > 0 } d ? d : throw new ArgumentException("--draft is required.");
            var rows = new List<Row>();
            using var scorer = Scorer.Load(targetPath);
            foreach (string draftPath in draftPaths)
            {
                foreach (double t in parse.GetValue(temperatures)!)
                {
                    Row? standard = null;
                    foreach (double delta in new[] { -1.0 }.Concat(parse.GetValue(deltas)!))
                    {
                        var row = await RunRowAsync(targetPath, draftPath, t, delta, parse.GetValue(k), parse.GetValue(draftLength), parse.GetValue(seeds), parse.GetValue(maxTokens), parse.GetValue(prompt)!, scorer, standard, cancellationToken);
                        standard ??= row;
                        rows.Add(row);
                        Console.Error.WriteLine(row.Markdown());
                    }
                }
            }

            string md = Markdown(rows);
            Console.WriteLine(md);
            if (parse.GetValue(output) is { } folder)
            {
                BenchOutput.Write(Path.Combine(folder, "lantern.md"), md);
                BenchOutput.Write(Path.Combine(folder, "lantern.json"), JsonSerializer.Serialize(rows, BenchOutput.JsonOptions));
                Plot(rows, Path.Combine(folder, "lantern.png"));
            }

            return 0;
        });
        return command;
    }

    // delta < 0 is the standard-verification row every other row of its (draft, T) is compared with.
    private static async Task<Row> RunRowAsync(string targetPath, string draftPath, double temperature, double delta, int k, int draftLength, int seeds, int maxTokens, string prompt, Scorer scorer, Row? standard, CancellationToken ct)
    {
        using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = targetPath,
            DraftModelPath = draftPath,
            ContextSize = 1024,
            BatchSize = 256,
            MaxConcurrentRequests = 1,
        });
        var answers = new List<int[]>();
        double logLikelihood = 0;
        long scored = 0;
        for (int seed = 0; seed < seeds; seed++)
        {
            var options = new ChatOptions
            {
                Temperature = (float)temperature,
                Seed = seed,
                MaxOutputTokens = maxTokens,
                AdditionalProperties = new()
                {
                    [SpeculativeChatOptionKeys.Mode] = "draft",
                    [SpeculativeChatOptionKeys.DraftLength] = draftLength,
                    [SpeculativeChatOptionKeys.Verifier] = delta < 0 ? "standard" : "lantern",
                    [SpeculativeChatOptionKeys.LanternDelta] = Math.Max(0, delta),
                    [SpeculativeChatOptionKeys.LanternK] = k,

                    // The diagnostic switch makes LANTERN build p~ at every drafted node, so the TV is measured at each.
                    [SpeculativeChatOptionKeys.MeasureOptimalAcceptance] = delta > 0,
                },
            };
            var messages = new[] { new ChatMessage(ChatRole.User, prompt) };
            int[] tokens = await client.GenerateTokensAsync(messages, options, ct);
            answers.Add(tokens);
            var (sum, count) = scorer.LogLikelihood(client.TokenizePrompt(messages, options), tokens);
            logLikelihood += sum;
            scored += count;
        }

        var s = client.Statistics;
        int identical = standard is null ? seeds : answers.Zip(standard.Answers).Count(pair => pair.First.SequenceEqual(pair.Second));
        return new Row(
            Path.GetFileNameWithoutExtension(draftPath), temperature, delta < 0 ? "standard" : "lantern", Math.Max(0, delta), k,
            s.GeneratedTokens, s.TargetCalls, (double)s.GeneratedTokens / Math.Max(1, s.TargetCalls), s.AcceptanceRate,
            s.RelaxedNodes, s.MeanRelaxationDistance, s.MaxRelaxationDistance, s.LossySteps,
            logLikelihood / Math.Max(1, scored), identical, seeds)
        {
            Answers = answers,
            Baseline = standard,
        };
    }

    private static string Markdown(IReadOnlyList<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| draft | T | verifier | delta | tokens / target call | vs standard | acceptance | TV mean | TV max | mean log-lik / token | vs standard | answers = standard | lossy steps |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            sb.AppendLine(row.Markdown());
        }

        return sb.ToString();
    }

    private static void Plot(IReadOnlyList<Row> rows, string path)
    {
        var plt = new ScottPlot.Plot();
        foreach (var group in rows.Where(r => r.Verifier == "lantern").GroupBy(r => (r.Draft, r.Temperature)))
        {
            var points = group.OrderBy(r => r.Delta).ToArray();
            var line = plt.Add.Scatter(points.Select(r => r.Delta).ToArray(), points.Select(r => r.TokensPerCallVsStandard).ToArray());
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{group.Key.Draft}, T={group.Key.Temperature}");
        }

        plt.Add.HorizontalLine(1.0);
        plt.XLabel("LANTERN delta (TV budget per step)");
        plt.YLabel("tokens per target call / standard's");
        plt.ShowLegend();
        plt.Title("specai lantern: stories260K");
        BenchOutput.SavePlot(plt, path);
    }

    // Per-node verification time at the model's vocabulary size: random logits as in the benchmark project's nodes
    // (target N(0, 2.5^2), draft = target + N(0, 0.8^2), T = 1), the same nodes for every case, interleaved.
    private static int NodeCost(string modelPath, int k, double[] deltas, int repeats)
    {
        using var embeddings = GgufTokenEmbeddings.Open(modelPath);
        int v = embeddings.VocabularySize;
        var rng = new Random(7);
        const int nodes = 16;
        var targets = new TokenDistribution[nodes];
        var drafts = new TokenDistribution[nodes];
        var processor = new LogitProcessor(new SamplingOptions { Temperature = 1.0 });
        var logits = new float[v];
        var draftLogits = new float[v];
        for (int n = 0; n < nodes; n++)
        {
            for (int i = 0; i < v; i++)
            {
                logits[i] = (float)(Gaussian(rng) * 2.5);
                draftLogits[i] = logits[i] + (float)(Gaussian(rng) * 0.8);
            }

            (targets[n], drafts[n]) = (new TokenDistribution(v), new TokenDistribution(v));
            processor.Process(logits, ReadOnlySpan<int>.Empty, 0, targets[n]);
            processor.Process(draftLogits, ReadOnlySpan<int>.Empty, 0, drafts[n]);
        }

        var cases = new List<(string Name, ISpeculativeVerifier Verifier)> { ("standard", StandardVerifier.Instance) };
        cases.AddRange(deltas.Where(d => d > 0).Select(d => (string.Create(CultureInfo.InvariantCulture, $"lantern delta={d}"), (ISpeculativeVerifier)new LanternVerifier(embeddings, d, k))));
        cases.AddRange(deltas.Where(d => d > 0).Take(1).Select(d => (string.Create(CultureInfo.InvariantCulture, $"lantern delta={d}, p~ at every node"), (ISpeculativeVerifier)new LanternVerifier(embeddings, d, k, measuresDistance: true))));
        var verifier = new NodeVerifier(v);
        var times = cases.Select(_ => new List<double>()).ToArray();
        var rejected = cases.Select(_ => new List<double>()).ToArray();
        var random = new SeededRandomSource(11);
        for (int r = 0; r < repeats + 20; r++)
        {
            for (int c = 0; c < cases.Count; c++)
            {
                int n = r % nodes;
                int x = drafts[n].Sample(random);
                long start = Stopwatch.GetTimestamp();
                bool accepted = verifier.Verify(cases[c].Verifier, targets[n], drafts[n], [x], random).IsAccepted;
                double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                if (r >= 20)
                {
                    times[c].Add(us);
                    if (!accepted)
                    {
                        rejected[c].Add(us);
                    }
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"V = {v}, embedding dimension {embeddings.Dimension}, k = {k}, pool {LanternVerifier.DefaultPoolSize} + {LanternVerifier.DefaultPoolSize}, {repeats} nodes per case (interleaved), T = 1, dense p and q"));
        Console.WriteLine("| case | mean µs per node | vs standard | acceptance | median µs, rejected nodes | vs standard |");
        Console.WriteLine("|---|---|---|---|---|---|");
        double baseline = times[0].Average(), baselineRejected = Median(rejected[0]);
        for (int c = 0; c < cases.Count; c++)
        {
            double mean = times[c].Average(), rejectedMedian = Median(rejected[c]);
            double acceptance = 1 - (double)rejected[c].Count / times[c].Count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {cases[c].Name} | {mean:F1} | {mean / baseline:F2}x | {acceptance:F3} | {rejectedMedian:F1} | {rejectedMedian / baselineRejected:F2}x |"));
        }

        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>One row of the table.</summary>
    private sealed record Row(
        string Draft, double Temperature, string Verifier, double Delta, int K,
        long Generated, long TargetCalls, double TokensPerCall, double Acceptance,
        long RelaxedNodes, double TvMean, double TvMax, long LossySteps,
        double MeanLogLikelihood, int IdenticalToStandard, int Requests)
    {
        [System.Text.Json.Serialization.JsonIgnore]
        public List<int[]> Answers { get; init; } = new();

        [System.Text.Json.Serialization.JsonIgnore]
        public Row? Baseline { get; init; }

        public double TokensPerCallVsStandard => Baseline is null ? 1.0 : TokensPerCall / Baseline.TokensPerCall;

        public double LogLikelihoodVsStandard => Baseline is null ? 0.0 : MeanLogLikelihood - Baseline.MeanLogLikelihood;

        public string Markdown() => string.Create(CultureInfo.InvariantCulture,
            $"| {Draft} | {Temperature} | {Verifier} | {(Verifier == "standard" ? "-" : Delta.ToString(CultureInfo.InvariantCulture))} | {TokensPerCall:F3} | {TokensPerCallVsStandard:F3}x | {Acceptance:F3} | {(RelaxedNodes > 0 ? TvMean.ToString("F4", CultureInfo.InvariantCulture) : "0")} | {TvMax:F4} | {MeanLogLikelihood:F4} | {LogLikelihoodVsStandard:+0.0000;-0.0000;0} | {IdenticalToStandard}/{Requests} | {LossySteps} |");
    }

    /// <summary>The target's own log-likelihood of answers (temperature 1, no transform), teacher-forced.</summary>
    private sealed class Scorer : IDisposable
    {
        private readonly LLamaModelSession _session;
        private readonly TeacherForcedSession _forced;

        private Scorer(LLamaModelSession session)
        {
            _session = session;
            _forced = new TeacherForcedSession(session);
        }

        public static Scorer Load(string path) => new(LLamaModelSession.Load(path, new ModelParams(path) { ContextSize = 1024, BatchSize = 512, UBatchSize = 512, SeqMax = 1 }));

        public (double Sum, long Count) LogLikelihood(IReadOnlyList<int> prompt, IReadOnlyList<int> answer)
        {
            if (answer.Count == 0)
            {
                return (0, 0);
            }

            var tokens = prompt.Concat(answer).ToArray();
            double sum = 0;
            _forced.Forward(tokens, prompt.Count - 1, (position, logits, _) =>
            {
                if (position + 1 < tokens.Length)
                {
                    sum += LogSoftmax.At(logits, tokens[position + 1]);
                }
            });
            return (sum, answer.Count);
        }

        public void Dispose() => _session.Dispose();
    }
}
