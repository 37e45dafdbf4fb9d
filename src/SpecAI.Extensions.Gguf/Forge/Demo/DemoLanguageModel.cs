namespace SpecAI.Extensions.Gguf.Forge.Demo;

/// <summary>
/// The statistics the demo models realise, learned from <see cref="DemoCorpus"/> tokenized by a <see cref="ByteLevelBpe"/>
/// learned from the same text.
/// </summary>
/// <remarks>
/// Every answer is counted as the last token of <c>assistant</c>, <c>\n</c> (ChatML's <c>&lt;|im_start|&gt;assistant\n</c>),
/// its tokens, then <c>&lt;|im_end|&gt;</c>, so after the generation prompt the models start an answer and end it at a
/// natural place. Target: a log-linear model of the next token given the last two,
/// <c>log p(v | u, t) = f(t, v) + g(u, v) - log Z(u, t)</c>, where f is the token bigram table
/// <c>log (c(t, v) + α p(v)) / (c(t) + α)</c> (additive smoothing towards the unigram p, small α) and g is the skip-bigram
/// pointwise mutual information <c>λ log p₂(v | u) / p(v)</c> (u two tokens back, smoothed the same way), a product of
/// experts (Hinton 2002) whose weight λ is fitted to the corpus's log-likelihood. Draft: a class-based bigram (Brown et
/// al. 1992): contexts clustered by k-means on the square roots of their next-token distributions (Hellinger
/// distance), one pooled distribution per class, interpolated with the unigram. The draft sees one token at a coarser
/// grain, the target two, so their agreement is what the text gives, not a knob. Tokens the corpus never continues with
/// get <see cref="UnsampledLogit"/>; contexts it never shows (bytes, unfinished merges, the prompt's own words) share one
/// "other" slot (unigram in f, nothing in g).
/// </remarks>
internal sealed class DemoLanguageModel
{
    public const double UnsampledLogit = -60;
    private const double TargetAlpha = 0.1;
    private const double DraftUnigramWeight = 0.05;
    private const double SkipAlpha = 1.0;

    private DemoLanguageModel(ByteLevelBpe bpe, ForgeVocabulary vocabulary, int[] slotOf, double[][] target, double[][] previous, int[] classOf, double[][] draft)
    {
        Bpe = bpe;
        Vocabulary = vocabulary;
        TargetSlotOf = slotOf;
        TargetLogits = target;
        PreviousLogits = previous;
        DraftClassOf = classOf;
        DraftLogits = draft;
    }

    public ByteLevelBpe Bpe { get; }
    public ForgeVocabulary Vocabulary { get; }

    /// <summary>Target slot of each token (its own for every context the corpus shows, else the last, "other" slot).</summary>
    public int[] TargetSlotOf { get; }

    /// <summary>The target's f: bigram log-probabilities by slot of the last token, then token.</summary>
    public double[][] TargetLogits { get; }

    /// <summary>The target's g: weighted skip-bigram log-ratios by slot of the token before the last, then token.</summary>
    public double[][] PreviousLogits { get; }

    /// <summary>The fitted weight λ of g.</summary>
    public double PreviousWeight { get; private set; }

    /// <summary>Mean log-likelihood per token of the corpus under the target (f + g).</summary>
    public double MeanLogLikelihood { get; private set; }

    /// <summary>Mean log-likelihood per token of the corpus under the bigram alone (f, the earlier demo target).</summary>
    public double BigramMeanLogLikelihood { get; private set; }

    /// <summary>How often the target's greedy token is the corpus's next token.</summary>
    public double TopOneAccuracy { get; private set; }

    /// <summary>How often the bigram's greedy token is the corpus's next token.</summary>
    public double BigramTopOneAccuracy { get; private set; }

    /// <summary>Draft class of each token (the last class is "other").</summary>
    public int[] DraftClassOf { get; }

    /// <summary>Draft log-probabilities by class, then token.</summary>
    public double[][] DraftLogits { get; }

    public double Agreement { get; private set; }
    public double MeanEntropy { get; private set; }
    public double MeanEndOfSequenceProbability { get; private set; }

    /// <summary>Builds the model from a corpus of about <paramref name="characters"/> characters with at most <paramref name="draftClasses"/> draft classes.</summary>
    public static DemoLanguageModel Build(ulong seed, int characters, int mergeCount, int draftClasses)
    {
        IReadOnlyList<string> answers = DemoCorpus.Generate(seed, characters);
        ByteLevelBpe bpe = ByteLevelBpe.Train(answers, mergeCount);
        var tokens = bpe.Pieces.Concat(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]).ToList();
        var types = bpe.Pieces.Select(_ => LlamaTokenType.Normal).Concat(Enumerable.Repeat(LlamaTokenType.Control, 3)).ToList();
        int imEnd = tokens.Count - 1, newline = tokens.IndexOf(ByteLevelBpe.ByteToUnicode((byte)'\n'));
        var vocabulary = ForgeVocabulary.ByteLevel(
            tokens, types, bpe.Merges.Select(m => m.Left + " " + m.Right).ToList(), "gpt-2",
            new ForgeSpecialTokens { BeginOfSequence = imEnd - 2, EndOfSequence = imEnd, EndOfTurn = imEnd, Padding = imEnd - 2 },
            ChatMlTemplate.Jinja);

        int v = tokens.Count;
        int assistant = bpe.Encode("assistant").Last();
        var counts = new Dictionary<int, double[]>();
        var triples = new Dictionary<(int Previous, int Current), Dictionary<int, int>>();
        var unigram = new double[v];
        foreach (string answer in answers)
        {
            int before = assistant, previous = newline;
            foreach (int next in bpe.Encode(answer).Append(imEnd))
            {
                if (!counts.TryGetValue(previous, out double[]? row))
                {
                    counts[previous] = row = new double[v];
                }

                if (!triples.TryGetValue((before, previous), out Dictionary<int, int>? pair))
                {
                    triples[(before, previous)] = pair = [];
                }

                row[next]++;
                pair[next] = pair.GetValueOrDefault(next) + 1;
                unigram[next]++;
                (before, previous) = (previous, next);
            }
        }

        double total = unigram.Sum();
        for (int i = 0; i < v; i++)
        {
            unigram[i] /= total;
        }

        int[] contexts = counts.Keys.Order().ToArray();
        int[] slotOf = Enumerable.Repeat(contexts.Length, v).ToArray();
        for (int s = 0; s < contexts.Length; s++)
        {
            slotOf[contexts[s]] = s;
        }

        var target = contexts.Select(c => LogSmoothed(counts[c], unigram, TargetAlpha)).Append(Log(unigram)).ToArray();
        int classes = Math.Min(draftClasses - 1, contexts.Length);
        int[] live = Enumerable.Range(0, v).Where(i => unigram[i] > 0).ToArray();
        int[] membership = Cluster(contexts.Select(c => live.Select(i => counts[c][i]).ToArray()).ToArray(), classes);
        // Classes k-means left empty are dropped (ids renumbered in order).
        int[] used = membership.Distinct().Order().ToArray();
        membership = membership.Select(m => Array.BinarySearch(used, m)).ToArray();
        classes = used.Length;
        var pooled = Enumerable.Range(0, classes).Select(_ => new double[v]).ToArray();
        for (int s = 0; s < contexts.Length; s++)
        {
            for (int i = 0; i < v; i++)
            {
                pooled[membership[s]][i] += counts[contexts[s]][i];
            }
        }

        var draft = pooled.Select(p => Interpolated(p, unigram, DraftUnigramWeight)).Append(Log(unigram)).ToArray();
        int[] classOf = Enumerable.Repeat(classes, v).ToArray();
        for (int s = 0; s < contexts.Length; s++)
        {
            classOf[contexts[s]] = membership[s];
        }

        // Skip-bigram counts by slot of the token two back (the "other" slot included: it is what the attention copies).
        var skip = Enumerable.Range(0, contexts.Length + 1).Select(_ => new double[v]).ToArray();
        foreach (((int before, _), Dictionary<int, int> next) in triples)
        {
            foreach ((int token, int count) in next)
            {
                skip[slotOf[before]][token] += count;
            }
        }

        double[][] pmi = skip.Select(row => SkipLogRatio(row, unigram)).ToArray();
        (int Previous, int Current, (int Token, double Count)[] Next)[] observed = triples
            .OrderBy(e => e.Key.Previous).ThenBy(e => e.Key.Current)
            .Select(e => (slotOf[e.Key.Previous], slotOf[e.Key.Current], e.Value.OrderBy(x => x.Key).Select(x => (x.Key, (double)x.Value)).ToArray()))
            .ToArray();
        double weight = FitWeight(observed, target, pmi, live);
        double[][] weighted = pmi.Select(row => row.Select(x => weight * x).ToArray()).ToArray();
        var model = new DemoLanguageModel(bpe, vocabulary, slotOf, target, weighted, classOf, draft) { PreviousWeight = weight };
        model.Measure(observed, contexts.Select(c => classOf[c]).Append(classes).ToArray(), imEnd);
        return model;
    }

    /// <summary>The target's log-probabilities of the next token after <paramref name="previous"/>, <paramref name="current"/>: f + g, normalised.</summary>
    public double[] TargetLogProbabilities(int previous, int current) =>
        Combined(TargetLogits[TargetSlotOf[current]], PreviousLogits[TargetSlotOf[previous]]);

    /// <summary>The bigram's (f alone, the earlier demo target) log-probabilities of the next token after <paramref name="current"/>.</summary>
    public double[] BigramLogProbabilities(int current)
    {
        double[] f = TargetLogits[TargetSlotOf[current]];
        return Combined(f, new double[f.Length]);
    }

    private static double[] Combined(double[] f, double[] g)
    {
        var row = new double[f.Length];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = f[i] + g[i];
        }

        double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max)), log = max + Math.Log(sum);
        for (int i = 0; i < row.Length; i++)
        {
            row[i] -= log;
        }

        return row;
    }

    /// <summary>
    /// Greedy agreement with the draft, target entropy, EOS probability, log-likelihood and top-1 accuracy, over the
    /// corpus's (token before, token, next) occurrences.
    /// </summary>
    private void Measure((int Previous, int Current, (int Token, double Count)[] Next)[] observed, int[] draftClassOfSlot, int eos)
    {
        double weight = 0, agree = 0, entropy = 0, end = 0, likelihood = 0, bigram = 0, hits = 0, bigramHits = 0;
        double[][] bigramRows = TargetLogits.Select(r => Combined(r, new double[r.Length])).ToArray();
        foreach ((int previous, int current, (int Token, double Count)[] next) in observed)
        {
            double n = next.Sum(x => x.Count);
            double[] t = Combined(TargetLogits[current], PreviousLogits[previous]), b = bigramRows[current];
            double[] d = DraftLogits[draftClassOfSlot[current]];
            int top = Array.IndexOf(t, t.Max()), bigramTop = Array.IndexOf(b, b.Max());
            weight += n;
            agree += top == Array.IndexOf(d, d.Max()) ? n : 0;
            entropy += n * Softmax.Entropy(t);
            end += n * Math.Exp(t[eos]);
            foreach ((int token, double count) in next)
            {
                hits += token == top ? count : 0;
                bigramHits += token == bigramTop ? count : 0;
                likelihood += count * t[token];
                bigram += count * b[token];
            }
        }

        Agreement = agree / weight;
        MeanEntropy = entropy / weight;
        MeanEndOfSequenceProbability = end / weight;
        MeanLogLikelihood = likelihood / weight;
        BigramMeanLogLikelihood = bigram / weight;
        TopOneAccuracy = hits / weight;
        BigramTopOneAccuracy = bigramHits / weight;
    }

    /// <summary>
    /// The λ in [0, 2] with the highest corpus log-likelihood of f + λ g, by golden-section search (the log-likelihood of
    /// a log-linear model is concave in its weights), to about 0.01.
    /// </summary>
    private static double FitWeight((int Previous, int Current, (int Token, double Count)[] Next)[] observed, double[][] f, double[][] g, int[] live)
    {
        double ratio = (Math.Sqrt(5) - 1) / 2, low = 0, high = 2;
        double left = high - (ratio * (high - low)), right = low + (ratio * (high - low));
        double atLeft = LogLikelihood(left), atRight = LogLikelihood(right);
        while (high - low > 0.01)
        {
            if (atLeft >= atRight)
            {
                (high, right, atRight) = (right, left, atLeft);
                left = high - (ratio * (high - low));
                atLeft = LogLikelihood(left);
            }
            else
            {
                (low, left, atLeft) = (left, right, atRight);
                right = low + (ratio * (high - low));
                atRight = LogLikelihood(right);
            }
        }

        return Math.Round((low + high) / 2, 2);

        double LogLikelihood(double lambda)
        {
            var parts = new double[observed.Length];
            Parallel.For(0, observed.Length, k =>
            {
                (int previous, int current, (int Token, double Count)[] next) = observed[k];
                double[] fr = f[current], gr = g[previous];
                double max = double.NegativeInfinity;
                foreach (int i in live)
                {
                    max = Math.Max(max, fr[i] + (lambda * gr[i]));
                }

                double sum = 0, dot = 0, n = 0;
                foreach (int i in live)
                {
                    sum += Math.Exp(fr[i] + (lambda * gr[i]) - max);
                }

                foreach ((int token, double count) in next)
                {
                    dot += count * (fr[token] + (lambda * gr[token]));
                    n += count;
                }

                parts[k] = dot - (n * (max + Math.Log(sum)));
            });

            return parts.Sum();
        }
    }

    /// <summary>log p₂(v | u) / p(v) with p₂ smoothed towards the unigram; 0 where the unigram is 0 (f already rules those out).</summary>
    private static double[] SkipLogRatio(double[] counts, double[] unigram)
    {
        double n = counts.Sum();
        var row = new double[counts.Length];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = unigram[i] == 0 ? 0 : Math.Log((counts[i] + (SkipAlpha * unigram[i])) / (n + SkipAlpha) / unigram[i]);
        }

        return row;
    }

    private static double[] LogSmoothed(double[] counts, double[] unigram, double alpha)
    {
        double n = counts.Sum();
        var row = new double[counts.Length];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = unigram[i] == 0 ? UnsampledLogit : Math.Log((counts[i] + (alpha * unigram[i])) / (n + alpha));
        }

        return row;
    }

    private static double[] Interpolated(double[] counts, double[] unigram, double weight)
    {
        double n = counts.Sum();
        var row = new double[counts.Length];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = unigram[i] == 0 ? UnsampledLogit : Math.Log(((1 - weight) * counts[i] / n) + (weight * unigram[i]));
        }

        return row;
    }

    private static double[] Log(double[] p) => p.Select(x => x == 0 ? UnsampledLogit : Math.Log(x)).ToArray();

    /// <summary>
    /// k-means on the square roots of the rows' distributions (Euclidean there is the Hellinger distance), seeded
    /// with the <paramref name="k"/> most frequent contexts, ties to the lower index: deterministic.
    /// </summary>
    private static int[] Cluster(double[][] counts, int k)
    {
        double[][] points = counts.Select(row => { double n = row.Sum(); return row.Select(x => Math.Sqrt(x / n)).ToArray(); }).ToArray();
        int[] seeds = Enumerable.Range(0, points.Length).OrderByDescending(i => counts[i].Sum()).ThenBy(i => i).Take(k).ToArray();
        double[][] centers = seeds.Select(i => (double[])points[i].Clone()).ToArray();
        var membership = new int[points.Length];
        for (int iteration = 0; iteration < 15; iteration++)
        {
            bool changed = false;
            for (int p = 0; p < points.Length; p++)
            {
                int best = 0;
                double bestDistance = double.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    double d = 0;
                    for (int i = 0; i < points[p].Length; i++)
                    {
                        double diff = points[p][i] - centers[c][i];
                        d += diff * diff;
                    }

                    if (d < bestDistance)
                    {
                        (best, bestDistance) = (c, d);
                    }
                }

                changed |= membership[p] != best || iteration == 0;
                membership[p] = best;
            }

            if (!changed)
            {
                break;
            }

            for (int c = 0; c < k; c++)
            {
                int[] members = Enumerable.Range(0, points.Length).Where(p => membership[p] == c).ToArray();
                if (members.Length == 0)
                {
                    continue;
                }

                for (int i = 0; i < centers[c].Length; i++)
                {
                    centers[c][i] = members.Average(p => points[p][i]);
                }
            }
        }

        return membership;
    }
}
