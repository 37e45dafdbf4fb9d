using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.LLamaSharp.Tests.Backend;

/// <summary>
/// Decoding a token's input embedding (read from token_embd by our GGUF code) through an embedding batch gives the
/// same logits as decoding the token: the row is what llama.cpp's graph takes in, for each tensor type.
/// </summary>
public sealed class EmbeddingInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("specai-embd-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void StoriesF32_TokenRowDecodesLikeTheToken() => AssertRowDecodesLikeToken(TestModels.Stories, 1e-4);

    [Fact]
    public void StoriesQ4_0_TokenRowDecodesLikeTheToken() => AssertRowDecodesLikeToken(TestModels.StoriesQ4, 1e-3);

    [Fact]
    public void KQuantModel_TokenRowDecodesLikeTheToken()
    {
        // Width 256 so that llama.cpp's quantizer writes K-quants (Q4_K_M: token_embd in Q4_K, others Q4_K/Q6_K).
        var family = LlamaModelForge.GetOrCreateFamily(_folder, LlamaFamilyOptions.ChatTiny with
        {
            Target = new(256, 1, 512, 2),
            Draft = new(256, 1, 256, 2),
            Name = "specai-kquant",
        });
        string quantized = Path.Combine(_folder, "kquant.gguf");
        Assert.True(LLamaQuantizer.Quantize(family.TargetPath, quantized, LLamaFtype.MOSTLY_Q4_K_M, 1));
        using (var rows = Gguf.GgufRowReader.Open(quantized, "token_embd.weight"))
        {
            Assert.Contains(rows.TypeId, new uint[] { 12, 13, 14 });
        }

        AssertRowDecodesLikeToken(quantized, 2e-3);
    }

    [Fact]
    public void OtherArchitecture_IsRefusedWithATypedError()
    {
        var e = Assert.Throws<EmbeddingInputNotSupportedException>(() => TokenEmbeddingInput.Open(TestModels.Stories, "gemma3", 512, 64, "stories"));
        Assert.Contains("gemma3", e.Message, StringComparison.Ordinal);
    }

    private static void AssertRowDecodesLikeToken(string path, double tolerance)
    {
        using var session = LLamaModelSession.Load(path, new ModelParams(path) { ContextSize = 256, BatchSize = 64, SeqMax = 2, Threads = 1 });
        int[] prompt = [1, 40, 70, 90];
        var batch = new DecodeBatch();
        for (int i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], i, 0, wantLogits: i == prompt.Length - 1);
        }

        session.Decode(batch);
        float[] byToken = session.GetLogits(prompt.Length - 1).ToArray();

        batch.Clear();
        for (int i = 0; i < prompt.Length - 1; i++)
        {
            batch.Add(prompt[i], i, 1, wantLogits: false);
        }

        session.Decode(batch);
        var row = new float[session.EmbeddingLength];
        session.TokenEmbedding(prompt[^1], row);
        session.DecodeEmbedding(row, 1, prompt.Length - 1);
        float[] byEmbedding = session.GetLogits(0).ToArray();

        double max = byToken.Zip(byEmbedding, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(max < tolerance, $"max logit difference {max} on {Path.GetFileName(path)}");

        // A different token's row gives different logits (the check can fail). Small models hold many near-identical
        // rows (untrained tokens), so take the row farthest from the token's.
        var own = new float[row.Length];
        session.TokenEmbedding(prompt[^1], own);
        int far = Enumerable.Range(0, session.VocabularySize).MaxBy(t =>
        {
            session.TokenEmbedding(t, row);
            return row.Zip(own, (a, b) => Math.Abs(a - b)).Sum();
        });
        session.RemoveTokens(1, prompt.Length - 1);
        session.TokenEmbedding(far, row);
        session.DecodeEmbedding(row, 1, prompt.Length - 1);
        float[] otherLogits = session.GetLogits(0).ToArray();
        double other = byToken.Zip(otherLogits, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(other > tolerance, $"another token's row: max difference {other} (match {max}) on {Path.GetFileName(path)}");
    }
}
