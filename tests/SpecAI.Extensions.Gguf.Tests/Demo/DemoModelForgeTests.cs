using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;
using SpecAI.Extensions.Gguf.Forge.Demo;
using Xunit.Abstractions;

namespace SpecAI.Extensions.Gguf.Tests.Demo;

public class DemoModelForgeTests(DemoFamilyFixture fixture, ITestOutputHelper output) : IClassFixture<DemoFamilyFixture>
{
    [Fact]
    public void WriteFamily_SameSeed_ByteIdenticalFilesMarkedAsDemo()
    {
        using var temp = new TempFolder();
        ForgedFamily first = fixture.Family;
        ForgedFamily second = DemoModelForge.WriteFamily(temp.File("t2.gguf"), temp.File("d2.gguf"));

        Assert.Equal(File.ReadAllBytes(first.TargetPath), File.ReadAllBytes(second.TargetPath));
        Assert.Equal(File.ReadAllBytes(first.DraftPath), File.ReadAllBytes(second.DraftPath));
        Assert.True(DemoModelForge.IsDemoModel(first.TargetPath));
        Assert.True(DemoModelForge.IsDemoModel(first.DraftPath));
        // A natural agreement: the coarser draft often, but not always, picks the target's next token.
        Assert.InRange(first.CalibratedAgreement, 0.3, 0.99);
        Assert.True(first.CostRatio > 1.5, $"cost ratio {first.CostRatio}");
        Assert.InRange(first.TargetVocabularySize, 1_000, 8_000);
    }

    [Fact]
    public void GetOrCreateFamily_SecondCall_ReusesFilesWithSameStatistics()
    {
        using var temp = new TempFolder();
        ForgedFamily made = DemoModelForge.GetOrCreateFamily(temp.Path);
        DateTime written = File.GetLastWriteTimeUtc(made.TargetPath);
        ForgedFamily again = DemoModelForge.GetOrCreateFamily(temp.Path);

        Assert.Equal(made.TargetPath, again.TargetPath);
        Assert.Equal(written, File.GetLastWriteTimeUtc(again.TargetPath));
        Assert.Equal(made.CalibratedAgreement, again.CalibratedAgreement, 12);
        Assert.Equal(made.Options.Target, again.Options.Target);
        Assert.Equal(2, Directory.GetFiles(temp.Path).Length);
    }

    [Fact]
    public void ByteLevelBpe_LlamaCppTokenizesCorpusLikeTheTrainer()
    {
        ForgedFamily family = fixture.Family;
        IReadOnlyList<string> answers = DemoCorpus.Generate(1, 300_000);
        ByteLevelBpe bpe = ByteLevelBpe.Train(answers, 4_000);
        using LLamaWeights weights = LlamaNative.Load(family.TargetPath, out _);

        foreach (string text in answers.Take(50).Append("Hello, wörld! 42 \u00e9t\u00e9\n\ttabs"))
        {
            int[] ours = bpe.Encode(text).ToArray();
            int[] llama = weights.Tokenize(text, add_bos: false, special: false, Encoding.UTF8).Select(t => (int)t).ToArray();
            Assert.Equal(ours, llama);
        }

        // Whole words of the corpus are single tokens.
        Assert.Single(weights.Tokenize(" forest", add_bos: false, special: false, Encoding.UTF8));
    }

    [Fact]
    public void Template_IsChatMlAndEndsAtImEnd()
    {
        ForgedFamily family = fixture.Family;
        using LLamaWeights weights = LlamaNative.Load(family.TargetPath, out ModelParams _);
        var template = new LLamaTemplate(weights, strict: true) { AddAssistant = true };
        template.Add("user", "Tell me about the sea.");
        string rendered = Encoding.UTF8.GetString(template.Apply());
        LLamaToken[] tokens = weights.Tokenize(rendered, add_bos: false, special: true, Encoding.UTF8);

        Assert.Equal("<|im_start|>user\nTell me about the sea.<|im_end|>\n<|im_start|>assistant\n", rendered);
        Assert.Equal(weights.Vocab.EOS, weights.Vocab.EOT);
        Assert.Equal("<|im_end|>", weights.Vocab.LLamaTokenToString(weights.Vocab.EOS, true));
        Assert.Equal(3, tokens.Count(t => weights.Vocab.LLamaTokenToString(t, true) is "<|im_start|>" or "<|im_end|>"));
    }

    [Fact]
    public void Target_GreedyAnswer_IsCorpusWords()
    {
        ForgedFamily family = fixture.Family;
        using LLamaWeights weights = LlamaNative.Load(family.TargetPath, out ModelParams parameters);
        using LLamaContext context = weights.CreateContext(parameters);
        LLamaToken[] prompt = weights.Tokenize("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", add_bos: false, special: true, Encoding.UTF8);
        int eos = (int)weights.Vocab.EOS!.Value;
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], i, LLamaSeqId.Zero, logits: i == prompt.Length - 1);
        }

        var text = new StringBuilder();
        for (int position = prompt.Length; position < prompt.Length + 40; position++)
        {
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(context.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
            if (next == eos)
            {
                break;
            }

            text.Append(weights.Vocab.LLamaTokenToString(next, true));
            batch.Clear();
            batch.Add(next, position, LLamaSeqId.Zero, logits: true);
        }

        string answer = text.ToString();
        IReadOnlySet<string> words = DemoModelForge.CorpusWords();
        string[] written = answer.Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries);
        Assert.True(written.Length >= 3, answer);
        Assert.All(written, w => Assert.Contains(w, words));
        Assert.DoesNotContain(answer, c => char.IsControl(c) || c == '\uFFFD');
    }

    [Fact]
    public void Target_ThroughLlamaCpp_ComputesBigramPlusPreviousTokenTerm()
    {
        // The managed model the forge writes (same corpus and sizes as DemoModelForge).
        var model = DemoLanguageModel.Build(1, 300_000, 4_000, 128);
        output.WriteLine(
            $"lambda {model.PreviousWeight}; mean log-likelihood {model.MeanLogLikelihood:F4} (bigram {model.BigramMeanLogLikelihood:F4}); " +
            $"top-1 {model.TopOneAccuracy:F4} (bigram {model.BigramTopOneAccuracy:F4}); draft agreement {model.Agreement:F4}");
        Assert.True(model.PreviousWeight > 0);
        Assert.True(model.MeanLogLikelihood > model.BigramMeanLogLikelihood + 0.05);

        // Held out: answers of another seed, counted as the forge counts them.
        double heldOut = 0, heldOutBigram = 0;
        int count = 0, end = model.Vocabulary.Count - 1;
        foreach (string answer in DemoCorpus.Generate(7, 30_000))
        {
            int[] sequence = [model.Bpe.Encode("assistant").Last(), model.Bpe.Encode("\n").Single(), .. model.Bpe.Encode(answer), end];
            for (int i = 2; i < sequence.Length; i++)
            {
                heldOut += model.TargetLogProbabilities(sequence[i - 2], sequence[i - 1])[sequence[i]];
                heldOutBigram += model.BigramLogProbabilities(sequence[i - 1])[sequence[i]];
                count++;
            }
        }

        output.WriteLine($"held out ({count} tokens): mean log-likelihood {heldOut / count:F4} (bigram {heldOutBigram / count:F4})");
        Assert.True(heldOut > heldOutBigram);

        using LLamaWeights weights = LlamaNative.Load(fixture.Family.TargetPath, out ModelParams parameters);
        int compared = 0, steered = 0;
        foreach (string answer in DemoCorpus.Generate(7, 2_000).Take(4))
        {
            using LLamaContext context = weights.CreateContext(parameters);
            int[] tokens = weights.Tokenize($"<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n{answer}", add_bos: false, special: true, Encoding.UTF8)
                .Select(t => (int)t).ToArray();
            var batch = new LLamaBatch();
            for (int i = 0; i < tokens.Length; i++)
            {
                batch.Add(tokens[i], i, LLamaSeqId.Zero, logits: true);
            }

            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            for (int i = 1; i < tokens.Length; i++)
            {
                double[] reference = model.TargetLogProbabilities(tokens[i - 1], tokens[i]);
                double[] bigram = model.BigramLogProbabilities(tokens[i]);
                float[] logits = context.NativeHandle.GetLogitsIth(i).ToArray();
                double max = logits.Max(), log = max + Math.Log(logits.Sum(x => Math.Exp(x - max)));
                for (int v = 0; v < reference.Length; v++)
                {
                    if (reference[v] > -12)
                    {
                        Assert.True(Math.Abs(logits[v] - log - reference[v]) < 0.05, $"position {i} token {v}: llama {logits[v] - log}, reference {reference[v]}");
                    }
                }

                int top = Array.IndexOf(logits, logits.Max());
                Assert.True(reference[top] > reference.Max() - 0.05, $"position {i}: llama's greedy token is not the reference's");
                // The token before matters: f + g picks another token than f alone.
                steered += Array.IndexOf(reference, reference.Max()) != Array.IndexOf(bigram, bigram.Max()) ? 1 : 0;
                compared++;
            }
        }

        output.WriteLine($"{compared} positions compared, {steered} where the previous token changes the greedy choice");
        Assert.True(compared > 50);
        Assert.True(steered > 0);
    }
}
