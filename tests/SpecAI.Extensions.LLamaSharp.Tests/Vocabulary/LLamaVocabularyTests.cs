using System.Text;
using LLama;
using LLama.Common;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.LLamaSharp.Tests.Vocabulary;

public class LLamaVocabularyTests
{
    [Fact]
    public void Read_PiecesAreTheBytesTokensStandFor()
    {
        using var weights = Load(VocabularyFixtures.PaddedTarget);
        var vocabulary = LLamaVocabularyReader.Read(weights);

        Assert.Equal(576, vocabulary.Count);
        Assert.Equal(" the", Text(vocabulary, 265));
        Assert.Equal(TokenKind.Normal, vocabulary.KindOf(265));
        Assert.Equal([(byte)'\n'], vocabulary.PieceOf(13).ToArray());
        Assert.Equal(TokenKind.Byte, vocabulary.KindOf(13));
        Assert.Equal("<s>", Text(vocabulary, 1));
        Assert.Equal(TokenKind.Control, vocabulary.KindOf(1));
        Assert.Equal((1, 2, true), (vocabulary.BeginOfSequence, vocabulary.EndOfSequence, vocabulary.AddsBeginOfSequence));
        Assert.True(vocabulary.IsEndOfGeneration(2));
        Assert.Equal(TokenKind.Unused, vocabulary.KindOf(575));
        Assert.True(vocabulary.PieceOf(575).IsEmpty);
    }

    [Fact]
    public void Map_ByteLevelSpaceMarker_MatchesSentencePieceSpace()
    {
        using var stories = Load(TestModels.Stories);
        using var byteLevel = Load(VocabularyFixtures.ByteLevelDraft);
        var target = LLamaVocabularyReader.Read(stories);
        var draft = LLamaVocabularyReader.Read(byteLevel);

        var map = VocabularyMap.Create(target, draft);

        // "▁the" (SentencePiece) and "Ġthe" (byte-level) are both " the"; the byte-level file keeps the ids.
        Assert.Equal("BytePairEncoding", draft.TokenizerModel);
        Assert.Equal(" the", Text(draft, 265));
        Assert.Equal(265, map.ToDraft(265));
        Assert.Equal(2, map.ToDraft(2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tokenize_ContinuationText_SpellsExactlyTheText(bool byteLevel)
    {
        using var weights = Load(byteLevel ? VocabularyFixtures.ByteLevelDraft : TestModels.Stories);
        var vocabulary = LLamaVocabularyReader.Read(weights);
        var tokenizer = new LLamaTextTokenizer(weights, vocabulary);
        foreach (string text in new[] { "little girl", " little girl", " ", "é!", "ily went home.\n\"Yes,\" she said." })
        {
            var tokens = new List<int>();
            tokenizer.Tokenize(text, tokens);
            Assert.Equal(text, string.Concat(tokens.Select(t => Text(vocabulary, t))));
        }

        // Text that starts with a space tokenises as a prompt would (SentencePiece's prefix is that space).
        var spaced = new List<int>();
        tokenizer.Tokenize(" Once upon a time", spaced);
        Assert.Equal(weights.Tokenize(byteLevel ? " Once upon a time" : "Once upon a time", false, false, Encoding.UTF8).Select(t => (int)t), spaced);
    }

    private static LLamaWeights Load(string path) => LLamaWeights.LoadFromFile(new ModelParams(path) { ContextSize = 64 });

    private static string Text(TokenVocabulary vocabulary, int token) => Encoding.UTF8.GetString(vocabulary.PieceOf(token));
}
