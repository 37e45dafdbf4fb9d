using Microsoft.Extensions.AI;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Measures judge decoding's speed/quality trade (LOSSY by design): on held-out prompts, generates with standard
/// verification and with the judge at each threshold (same seeds), then scores every output with the target.
/// Threshold 1 never judges, so it must reproduce standard verification token for token; the report says whether it did.
/// </summary>
/// <remarks>
/// Generation first, with one <see cref="SpeculativeChatClient"/> (standard and judged runs share its KV cache
/// state per prompt, so equal seeds give equal batches); then the client is released and the target is loaded again
/// to score the outputs, so only one copy is in memory at a time.
/// </remarks>
public static class JudgeEvaluator
{
    /// <summary>Thresholds swept when none are given.</summary>
    public static IReadOnlyList<double> DefaultThresholds { get; } = Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();

    /// <summary>Runs the sweep.</summary>
    /// <param name="options">What to evaluate.</param>
    /// <param name="progress">Receives a line per prompt.</param>
    /// <param name="cancellationToken">Cancels between generations.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">No held-out row, or invalid settings.</exception>
    public static async Task<JudgeEvaluationReport> EvaluateAsync(JudgeEvaluationOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SamplesPerPrompt, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTokens, 1);
        var groups = JudgeDataset.Groups(options.Rows);
        var held = JudgeTrainer.HeldOutGroups(groups.Distinct().ToArray(), options.HeldOutFraction, options.SplitSeed);
        var labelled = options.Rows.Where((_, i) => held.Contains(groups[i])).ToList();
        var rows = labelled.DistinctBy(r => r.Prompt).Take(options.MaxPrompts ?? int.MaxValue).ToList();
        labelled = labelled.Where(r => rows.Any(p => p.Prompt == r.Prompt)).ToList();
        if (rows.Count == 0)
        {
            throw new ArgumentException("No held-out row to evaluate on: give more rows or a larger held-out share.", nameof(options));
        }

        var head = JudgeHead.Load(options.HeadPath);
        var thresholds = (options.Thresholds ?? DefaultThresholds).Append(1.0).Append(head.Threshold)
            .Select(t => t is >= 0 and <= 1 ? t : throw new ArgumentException($"Threshold {t} is outside [0, 1].", nameof(options)))
            .Distinct().OrderDescending().ToArray();
        var settings = new List<double?> { null };
        settings.AddRange(thresholds.Select(t => (double?)t));

        // Phase 1: generate. outputs[setting][row][sample].
        var outputs = settings.Select(_ => rows.Select(_ => new int[options.SamplesPerPrompt][]).ToArray()).ToArray();
        var counts = new Counts[settings.Count];
        var prompts = new int[rows.Count][];
        string targetName, draftName;
        using (var client = await SpeculativeChatClient.CreateAsync(new SpeculativeChatClientOptions
        {
            TargetModelPath = options.TargetModelPath,
            DraftModelPath = options.DraftModelPath,
            JudgeHeadPath = options.HeadPath,
            Mode = SpeculationMode.Judge,
            MaxJudgedTokensPerStep = options.MaxJudgedTokensPerStep,
            DraftLength = options.DraftLength,
            ContextSize = options.ContextSize,
            Threads = options.Threads,
            Temperature = options.Temperature,
        }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            targetName = client.TargetSession.ModelName;
            draftName = Path.GetFileNameWithoutExtension(options.DraftModelPath);
            for (int r = 0; r < rows.Count; r++)
            {
                List<ChatMessage> messages = [new(ChatRole.User, rows[r].Prompt)];
                prompts[r] = client.TokenizePrompt(messages, null);
                for (int s = 0; s < options.SamplesPerPrompt; s++)
                {
                    for (int k = 0; k < settings.Count; k++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var chat = new ChatOptions
                        {
                            Temperature = (float)options.Temperature,
                            Seed = s,
                            MaxOutputTokens = Math.Min(options.MaxTokens, options.ContextSize - prompts[r].Length - 1),
                            AdditionalProperties = settings[k] is { } t
                                ? new() { [SpeculativeChatOptionKeys.Mode] = "judge", [SpeculativeChatOptionKeys.JudgeThreshold] = t }
                                : new() { [SpeculativeChatOptionKeys.Mode] = "draft", [SpeculativeChatOptionKeys.Verifier] = "standard" },
                        };
                        var before = Counts.Of(client.Statistics);
                        outputs[k][r][s] = await client.GenerateTokensAsync(messages, chat, cancellationToken).ConfigureAwait(false);
                        counts[k] += Counts.Of(client.Statistics) - before;
                    }
                }

                progress?.Report($"generated prompt {r + 1}/{rows.Count}");
            }
        }

        // Phase 2: score with the target.
        using var teacher = await JudgeTeacher.LoadAsync(options.TargetModelPath, options.ContextSize, options.Threads, cancellationToken).ConfigureAwait(false);
        // The same law the client sampled from (ChatOptions carries the temperature as a float).
        var sampling = new SamplingOptions { Temperature = (float)options.Temperature };
        var likelihood = settings.Select(_ => new Likelihood()).ToArray();
        for (int r = 0; r < rows.Count; r++)
        {
            for (int k = 0; k < settings.Count; k++)
            {
                foreach (var output in outputs[k][r])
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    likelihood[k].Add(teacher.LogLikelihoods(prompts[r], output, sampling));
                }
            }
        }

        var scores = new List<double>();
        var labels = new List<bool>();
        foreach (var row in labelled)
        {
            foreach (var example in teacher.Examples(row, 0) ?? [])
            {
                scores.Add(head.Score(example.Hidden));
                labels.Add(example.Acceptable);
            }
        }

        var spanMetrics = JudgeMetrics.AtThresholds(scores, labels, thresholds);
        double auc = JudgeMetrics.Auc(scores, labels);
        bool reproduces = outputs[0].Zip(outputs[settings.IndexOf(1.0)]).All(p => p.First.Zip(p.Second).All(q => q.First.AsSpan().SequenceEqual(q.Second)));
        var standard = Point(null, false, counts[0], likelihood[0], likelihood[0], counts[0], null, null);
        var points = new List<JudgeSweepPoint>();
        for (int k = 1; k < settings.Count; k++)
        {
            double t = settings[k]!.Value;
            points.Add(Point(t, t == head.Threshold, counts[k], likelihood[k], likelihood[0], counts[0], spanMetrics[k - 1], t == 1.0 ? reproduces : null));
        }

        return new JudgeEvaluationReport(
            targetName, draftName, options.HeadPath, head.Threshold, rows.Count, options.SamplesPerPrompt, options.MaxTokens,
            options.Temperature, options.DraftLength, double.IsNaN(auc) ? null : auc, reproduces, standard, points);
    }

    private static JudgeSweepPoint Point(double? threshold, bool isDefault, Counts c, Likelihood l, Likelihood reference, Counts standard, JudgeThresholdMetrics? span, bool? identical)
    {
        double tokensPerCall = c.TargetCalls == 0 ? 0 : (double)c.Generated / c.TargetCalls;
        double standardPerCall = standard.TargetCalls == 0 ? 0 : (double)standard.Generated / standard.TargetCalls;
        double quality = Math.Exp(l.Mean - reference.Mean);
        double qualityError = ReferenceEquals(l, reference) ? 0 : quality * Math.Sqrt(l.StandardError * l.StandardError + reference.StandardError * reference.StandardError);
        return new JudgeSweepPoint(
            threshold, isDefault, c.Generated, c.TargetCalls, c.Drafted, c.Accepted, c.JudgeAccepted,
            tokensPerCall, standardPerCall == 0 ? 0 : tokensPerCall / standardPerCall,
            c.Drafted == 0 ? 0 : (double)c.Accepted / c.Drafted,
            c.Generated == 0 ? 0 : (double)c.JudgeAccepted / c.Generated,
            l.Mean, l.StandardError, quality, qualityError, Math.Exp(l.MeanRelativeToOwn),
            Finite(span?.Precision), Finite(span?.Recall), Finite(span?.BadAcceptance), identical);
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    /// <summary>Counter deltas of one setting.</summary>
    private readonly record struct Counts(long Generated, long TargetCalls, long Drafted, long Accepted, long JudgeAccepted)
    {
        public static Counts Of(SpeculationStatistics s) => new(s.GeneratedTokens, s.TargetCalls, s.DraftedTokens, s.AcceptedTokens, s.JudgeAcceptedTokens);

        public static Counts operator +(Counts a, Counts b) => new(a.Generated + b.Generated, a.TargetCalls + b.TargetCalls, a.Drafted + b.Drafted, a.Accepted + b.Accepted, a.JudgeAccepted + b.JudgeAccepted);

        public static Counts operator -(Counts a, Counts b) => new(a.Generated - b.Generated, a.TargetCalls - b.TargetCalls, a.Drafted - b.Drafted, a.Accepted - b.Accepted, a.JudgeAccepted - b.JudgeAccepted);
    }

    /// <summary>Per-token log-likelihoods of one setting's outputs, with each generation as a cluster for the standard error.</summary>
    private sealed class Likelihood
    {
        private readonly List<(double Sum, int Count)> _clusters = new();
        private double _relativeSum;

        public double Mean => Tokens == 0 ? 0 : _clusters.Sum(c => c.Sum) / Tokens;

        public double MeanRelativeToOwn => Tokens == 0 ? 0 : _relativeSum / Tokens;

        public double StandardError
        {
            get
            {
                int k = _clusters.Count(c => c.Count > 0);
                if (k < 2)
                {
                    return double.NaN;
                }

                double mean = Mean, squares = _clusters.Sum(c => Math.Pow(c.Sum - mean * c.Count, 2));
                return Math.Sqrt(squares * k / (k - 1)) / Tokens;
            }
        }

        private int Tokens => _clusters.Sum(c => c.Count);

        public void Add((double LogLikelihood, double OwnExpected)[] tokens)
        {
            _clusters.Add((tokens.Sum(t => t.LogLikelihood), tokens.Length));
            _relativeSum += tokens.Sum(t => t.LogLikelihood - t.OwnExpected);
        }
    }
}
