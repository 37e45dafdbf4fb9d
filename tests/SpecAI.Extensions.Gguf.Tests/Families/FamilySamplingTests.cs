using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests.Families;

/// <summary>What the families' models can sample, read from llama.cpp's logits: real tokens, EOS/EOT now and then, never padding or other control tokens.</summary>
[Collection(TokenizerFamiliesCollection.Name)]
public class FamilySamplingTests(TokenizerFamiliesFixture fixture)
{
    [Theory]
    [InlineData(ForgeFamilies.Qwen3, true)]
    [InlineData(ForgeFamilies.Qwen3, false)]
    [InlineData(ForgeFamilies.Llama31, true)]
    [InlineData(ForgeFamilies.Cross, false)]
    public void UnsampledTokens_HaveNoMass_AndEndOfSequenceSome(string name, bool target)
    {
        ForgedFamily family = fixture.Families[name];
        var (targetVocabulary, draftVocabulary) = LlamaModelForge.Vocabularies(family.Options);
        ForgeVocabulary vocabulary = target ? targetVocabulary : draftVocabulary;
        using LLamaWeights weights = LlamaNative.Load(target ? family.TargetPath : family.DraftPath, out ModelParams parameters);
        using LLamaContext context = weights.CreateContext(parameters);
        string text = "The lighthouse keeper climbed the stairs, 42 of them, and wrote in his log: «Tout va bien». 灯塔 🌊 def f(x): return x";
        LLamaToken[] tokens = weights.Tokenize(text, weights.Vocab.ShouldAddBOS, special: true, Encoding.UTF8);
        LlamaNative.TeacherForcedArgmax(context, tokens);

        double eos = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            float[] logits = context.NativeHandle.GetLogitsIth(i).ToArray();
            double max = logits.Max(), z = logits.Sum(x => Math.Exp(x - max)), unsampled = 0;
            for (int v = 0; v < logits.Length; v++)
            {
                unsampled += vocabulary.IsSampled(v) ? 0 : Math.Exp(logits[v] - max) / z;
            }

            Assert.True(unsampled < 1e-12, $"position {i}: mass {unsampled:G3} on padding/control tokens");
            eos += Math.Exp(logits[vocabulary.EndOfSequence] - max) / z;
        }

        Assert.Equal(vocabulary.Count, weights.Vocab.Count);
        Assert.InRange(eos / tokens.Length, 1e-4, 0.05);
    }
}
