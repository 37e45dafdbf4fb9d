namespace SpecAI.Extensions.Gguf.Forge.Demo;

/// <summary>
/// The statistics the demo models realise, learned from <see cref="DemoCorpus"/> tokenized by a <see cref="ByteLevelBpe"/>
/// learned from the same text.
/// </summary>
/// <remarks>
/// Every answer is counted as <c>\n</c> (the last token of ChatML's <c>&lt;|im_start|&gt;assistant\n</c>), its tokens,
/// then <c>&lt;|im_end|&gt;</c>, so after the generation prompt the models start an answer and end it at a natural place.
/// Target: the token bigram table, <c>p(v | t) = (c(t, v) + α p(v)) / (c(t) + α)</c> with the unigram p (additive
/// smoothing towards the unigram, small α). Draft: a class-based bigram (Brown et al. 1992): contexts clustered by
/// k-means on the square roots of their next-token distributions (Hellinger distance), one pooled distribution per
/// class, interpolated with the unigram. The draft is the target's statistics seen at a coarser grain, so their
/// agreement is what the text gives, not a knob. Tokens the corpus never continues with get
/// <see cref="UnsampledLogit"/>; contexts it never shows (bytes, unfinished merges, the prompt's own words) share one
/// "other" slot holding the unigram.
/// </remarks>
internal sealed class DemoLanguageModel
{
    public const double UnsampledLogit = -60;
    private const double TargetAlpha = 0.1;
    private const double DraftUnigramWeight = 0.05;

    private DemoLanguageModel(ByteLevelBpe bpe, ForgeVocabulary vocabulary, int[] slotOf, double[][] target, int[] classOf, double[][] draft)
    {
        Bpe = bpe;
        Vocabulary = vocabulary;
        TargetSlotOf = slotOf;
        TargetLogits = target;
        DraftClassOf = classOf;
        DraftLogits = draft;
    }

    public ByteLevelBpe Bpe { get; }
    public ForgeVocabulary Vocabulary { get; }

    /// <summary>Target slot of each token (its own for every context the corpus shows, else the last, "other" slot).</summary>
    public int[] TargetSlotOf { get; }

    /// <summary>Target log-probabilities by slot, then token.</summary>
    public double[][] TargetLogits { get; }

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
        var counts = new Dictionary<int, double[]>();
        var unigram = new double[v];
        foreach (string answer in answers)
        {
            int previous = newline;
            foreach (int next in bpe.Encode(answer).Append(imEnd))
            {
                if (!counts.TryGetValue(previous, out double[]? row))
                {
                    counts[previous] = row = new double[v];
                }

                row[next]++;
                unigram[next]++;
                previous = next;
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

        var model = new DemoLanguageModel(bpe, vocabulary, slotOf, target, classOf, draft);
        model.Measure(contexts, counts, imEnd);
        return model;
    }

    /// <summary>Greedy agreement, target entropy and EOS probability, weighted by how often each context occurs in the corpus.</summary>
    private void Measure(int[] contexts, Dictionary<int, double[]> counts, int eos)
    {
        double weight = 0, agree = 0, entropy = 0, end = 0;
        foreach (int c in contexts)
        {
            double n = counts[c].Sum();
            double[] t = TargetLogits[TargetSlotOf[c]], d = DraftLogits[DraftClassOf[c]];
            weight += n;
            agree += Array.IndexOf(t, t.Max()) == Array.IndexOf(d, d.Max()) ? n : 0;
            var p = (double[])t.Clone();
            entropy += n * Softmax.Entropy(p);
            Softmax.Normalize(p);
            end += n * p[eos];
        }

        Agreement = agree / weight;
        MeanEntropy = entropy / weight;
        MeanEndOfSequenceProbability = end / weight;
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
