using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Drafting;

/// <summary><see cref="ModelDraftSource"/> over an in-memory draft model whose logits are a known function of the history.</summary>
public class ModelDraftSourceTests
{
    private const int Vocabulary = 16;
    private static readonly Func<IReadOnlyList<int>, float[]> Logits = FakeLanguage.Create(Vocabulary, seed: 5);

    [Fact]
    public void Draft_Greedy_DraftsTheModelsGreedyContinuationAndLeavesCommittedAsItWas()
    {
        var session = Session();
        var source = new ModelDraftSource(session);
        List<int> committed = [1, 2, 3, 4];
        var tree = Tree(committed, branches: 1);

        source.Draft(Request(committed, SamplingOptions.Greedy), tree, draftLength: 4);

        var chain = GreedyChain(committed, 4);
        Assert.Equal(chain, tree.PathOf(0).Select(n => tree.Nodes[n].Token));
        Assert.Equal([1, 2, 3, 4], committed);

        // The draft decoded the committed tokens and every drafted token but the leaf.
        Assert.Equal([.. committed, .. chain[..3]], OnlySequence(session));
        Assert.Equal(4 + 3, session.DecodedTokens);
    }

    [Fact]
    public void Draft_SampledBranches_EachNodesChildDistributionIsTheModelsSoftmaxAfterItsPath()
    {
        var session = Session();
        var source = new ModelDraftSource(session);
        List<int> committed = [3, 1, 4];
        var tree = Tree(committed, branches: 3);

        source.Draft(Request(committed, new SamplingOptions(), seed: 9), tree, draftLength: 3);

        Assert.Equal(3, tree.BranchCount);
        for (int b = 0; b < 3; b++)
        {
            var path = tree.PathOf(b);
            Assert.Equal(3, path.Count);
            var history = new List<int>(committed);
            int parent = 0;
            foreach (int node in path)
            {
                // The node's token was drawn from its parent's distribution, which is the draft's softmax after the path to it.
                var q = tree.ChildDistributionOf(parent);
                Assert.NotNull(q);
                double[] expected = Softmax(Logits(history));
                for (int x = 0; x < Vocabulary; x++)
                {
                    // q is the float softmax (float exponentials of float-rounded arguments), this reference the double one.
                    Assert.Equal(expected[x], q.Probability(x), 2e-6 * expected[x] + 1e-15);
                }

                Assert.True(q.Probability(tree.Nodes[node].Token) > 0);
                history.Add(tree.Nodes[node].Token);
                parent = node;
            }
        }

        Assert.Equal([3, 1, 4], committed);
    }

    [Fact]
    public void Commit_PartOfThePathAccepted_KvHoldsExactlyTheCommittedPrefix()
    {
        var session = Session();
        var source = new ModelDraftSource(session);
        List<int> committed = [1, 2, 3, 4];
        source.Draft(Request(committed, SamplingOptions.Greedy), Tree(committed, 1), 4);
        var chain = GreedyChain(committed, 4);
        int bonus = (chain[2] + 1) % Vocabulary;

        // Two drafts accepted, then the target's own token.
        committed.AddRange([chain[0], chain[1], bonus]);
        source.Commit(0, 2, committed.ToArray());

        Assert.Equal(committed[..6], OnlySequence(session));
        Assert.Equal(6, session.CellsInUse);
    }

    [Fact]
    public void Commit_FirstDraftRejected_KvDropsEveryDraftedToken()
    {
        var session = Session();
        var source = new ModelDraftSource(session);
        List<int> committed = [1, 2, 3, 4];
        source.Draft(Request(committed, SamplingOptions.Greedy), Tree(committed, 1), 4);
        int other = (GreedyChain(committed, 1)[0] + 1) % Vocabulary;

        committed.Add(other);
        source.Commit(0, 0, committed.ToArray());

        Assert.Equal([1, 2, 3, 4], OnlySequence(session));
    }

    [Fact]
    public void Commit_MultiBranch_KeepsOnlyTheWinnersSequence()
    {
        var session = Session();
        var source = new ModelDraftSource(session);
        List<int> committed = [3, 1, 4];
        var tree = Tree(committed, 3);
        source.Draft(Request(committed, new SamplingOptions(), seed: 2), tree, 3);
        var winner = tree.PathOf(2).Select(n => tree.Nodes[n].Token).ToArray();

        committed.AddRange([winner[0], (winner[1] + 1) % Vocabulary]);
        source.Commit(2, 1, committed.ToArray());

        Assert.Equal(committed[..4], OnlySequence(session));
        Assert.Equal(4, session.CellsInUse);
    }

    [Fact]
    public void Draft_AfterCommit_DecodesOnlyTheNewTokens()
    {
        var session = Session();
        var source = new ModelDraftSource(session);
        List<int> committed = [1, 2, 3, 4];
        source.Draft(Request(committed, SamplingOptions.Greedy), Tree(committed, 1), 4);
        var chain = GreedyChain(committed, 4);
        committed.AddRange([chain[0], chain[1], (chain[2] + 1) % Vocabulary]);
        source.Commit(0, 2, committed.ToArray());
        int before = session.DecodedTokens;

        var tree = Tree(committed, 1);
        source.Draft(Request(committed, SamplingOptions.Greedy), tree, 4);

        // The bonus token (the last committed one) and three drafted tokens; the shared prefix is reused.
        Assert.Equal(1 + 3, session.DecodedTokens - before);
        Assert.Equal(GreedyChain(committed, 4), tree.PathOf(0).Select(n => tree.Nodes[n].Token));
    }

    [Fact]
    public void Draft_NewConversationSharingAPrefix_ReusesThatPrefix()
    {
        var session = Session();
        var source = new ModelDraftSource(session);
        List<int> first = [1, 2, 3, 4];
        source.Draft(Request(first, SamplingOptions.Greedy), Tree(first, 1), 4);
        first.Add((GreedyChain(first, 1)[0] + 1) % Vocabulary);
        source.Commit(0, 0, first.ToArray());
        int before = session.DecodedTokens;

        List<int> second = [1, 2, 3, 9, 10];
        var tree = Tree(second, 1);
        source.Draft(Request(second, SamplingOptions.Greedy), tree, 4);

        Assert.Equal(2 + 3, session.DecodedTokens - before);
        var chain = GreedyChain(second, 4);
        Assert.Equal(chain, tree.PathOf(0).Select(n => tree.Nodes[n].Token));
        Assert.Equal([.. second, .. chain[..3]], OnlySequence(session));
    }

    [Fact]
    public void Draft_NearTheEndOfTheContext_DraftsOnlyWhatFits()
    {
        var session = Session(contextSize: 8);
        var source = new ModelDraftSource(session);
        List<int> committed = [1, 2, 3, 4, 5, 6];
        var tree = Tree(committed, 1);

        source.Draft(Request(committed, SamplingOptions.Greedy), tree, 5);

        Assert.Equal(GreedyChain(committed, 2), tree.PathOf(0).Select(n => tree.Nodes[n].Token));
    }

    [Fact]
    public void BadInput_ThrowsTypedExceptions()
    {
        Assert.Throws<ArgumentNullException>("session", () => new ModelDraftSource(null!));
        var source = new ModelDraftSource(Session());
        List<int> committed = [1, 2];
        Assert.Throws<ArgumentNullException>("request", () => source.Draft(null!, Tree(committed, 1), 2));
        Assert.Throws<ArgumentNullException>("tree", () => source.Draft(Request(committed, SamplingOptions.Greedy), null!, 2));

        // A drafted prefix (from an earlier source) can only be continued on a single branch.
        var prefixed = Tree(committed, 2);
        prefixed.Extend(0, 5);
        Assert.Throws<InvalidOperationException>(() => source.Draft(Request(committed, new SamplingOptions()), prefixed, 3));
    }

    [Fact]
    public void Draft_MoreBranchesThanSequences_ThrowsNamingTheModel()
    {
        var source = new ModelDraftSource(Session(maxSequences: 2));
        List<int> committed = [1, 2];

        var error = Assert.Throws<InvalidOperationException>(() => source.Draft(Request(committed, new SamplingOptions()), Tree(committed, 3), 2));

        Assert.Contains("draft-fake", error.Message);
    }

    [Fact]
    public void Draft_ModelThatCanNeitherRemoveNorCheckpoint_ThrowsNamingTheModel()
    {
        var source = new ModelDraftSource(Session(recurrent: true));
        List<int> committed = [1, 2, 3];

        var error = Assert.Throws<NotSupportedException>(() => source.Draft(Request(committed, SamplingOptions.Greedy), Tree(committed, 1), 3));

        Assert.Contains("draft-fake", error.Message);
    }

    private static FakeModelSession Session(int contextSize = 64, int maxSequences = 8, bool recurrent = false)
        => new("draft-fake", Vocabulary, Logits, contextSize: contextSize, maxSequences: maxSequences, recurrent: recurrent);

    private static DraftTree Tree(List<int> committed, int branches)
    {
        var tree = new DraftTree();
        tree.Reset(committed[^1], branches, Vocabulary);
        return tree;
    }

    private static DraftRequest Request(List<int> committed, SamplingOptions sampling, int seed = 1)
        => new(committed, 0, DraftScheme.Independent, new LogitProcessor(sampling), new SeededRandomSource(seed), new SpeculationStatistics());

    private static int[] GreedyChain(IReadOnlyList<int> committed, int length)
    {
        var history = new List<int>(committed);
        for (int i = 0; i < length; i++)
        {
            float[] logits = Logits(history);
            history.Add(Array.IndexOf(logits, logits.Max()));
        }

        return history.Skip(committed.Count).ToArray();
    }

    private static double[] Softmax(float[] logits)
    {
        double max = logits.Max();
        double[] e = logits.Select(l => Math.Exp(l - max)).ToArray();
        double sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }

    private static IReadOnlyList<int> OnlySequence(FakeModelSession session)
        => Assert.Single(Enumerable.Range(0, session.MaxSequences).Select(session.SequenceTokens), s => s.Count > 0);
}
