using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests;

public class ChatPresetTests
{
    [Fact]
    public void ChatTiny_TemplateIsRecognisedAndRendersChatMl()
    {
        using var temp = new TempFolder();
        ForgedFamily family = LlamaModelForge.WriteFamily(LlamaFamilyOptions.ChatTiny, temp.File("t.gguf"), temp.File("d.gguf"));

        foreach (string path in new[] { family.TargetPath, family.DraftPath })
        {
            using LLamaWeights weights = LlamaNative.Load(path, out ModelParams parameters);
            var template = new LLamaTemplate(weights, strict: true) { AddAssistant = true };
            template.Add("user", "Hi there");
            string rendered = Encoding.UTF8.GetString(template.Apply());

            Assert.Equal("<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", rendered);
            Assert.Equal(512, weights.Vocab.Count);
            LLamaToken[] tokens = weights.Tokenize(rendered, add_bos: false, special: true, Encoding.UTF8);
            Assert.Equal(3, tokens.Count(t => (int)t is 3 or 4)); // two <|im_start|>, one <|im_end|>
            Assert.Equal(4, (int)weights.Vocab.EOS!.Value);
            Assert.Equal(4, (int)weights.Vocab.EOT!.Value);
        }

        Assert.InRange(family.MeanEndOfSequenceProbability, 0.005, 0.5);
    }
}
