using SpecAI.Extensions.Drafting;

namespace SpecAI.Extensions.Tests.Drafting;

public class DraftTreeTests
{
    [Fact]
    public void Reset_NewTree_HasOnlyTheRootOnEveryBranch()
    {
        var tree = new DraftTree();
        tree.Reset(rootToken: 7, branchCount: 3, vocabularySize: 10);

        var root = Assert.Single(tree.Nodes);
        Assert.Equal(7, root.Token);
        Assert.Equal(0, root.Depth);
        Assert.Equal(-1, root.Parent);
        Assert.Equal([0, 1, 2], root.Branches);
        Assert.Equal(-1, root.TargetBatchIndex);
        Assert.Null(root.ChildDistribution);
        Assert.Equal(3, tree.BranchCount);
        Assert.Equal(0, tree.DraftedCount);
        Assert.Equal(0, tree.Depth);
        Assert.Empty(tree.PathOf(2));
        Assert.Equal(0, tree.TipOf(1));
    }

    [Fact]
    public void Reset_AfterATree_ForgetsIt()
    {
        var tree = new DraftTree();
        tree.Reset(1, 2, 10);
        tree.Extend(0, 3);
        tree.Extend(1, 4);

        tree.Reset(5, 1, 10);

        Assert.Single(tree.Nodes);
        Assert.Equal(5, tree.Nodes[0].Token);
        Assert.Equal(1, tree.BranchCount);
        Assert.Equal(0, tree.Depth);
        Assert.Empty(tree.PathOf(0));
    }

    [Fact]
    public void Extend_SameTokenBelowSameParent_SharesTheNode()
    {
        var tree = new DraftTree();
        tree.Reset(0, 3, 10);

        int a = tree.Extend(0, 4);
        int b = tree.Extend(1, 4);
        int c = tree.Extend(2, 5);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal([0, 1], tree.Nodes[a].Branches);
        Assert.Equal([2], tree.Nodes[c].Branches);
        Assert.Equal(2, tree.DraftedCount);
        Assert.Equal(1, tree.Depth);
    }

    [Fact]
    public void Extend_SameTokenBelowDifferentParents_KeepsSeparateNodes()
    {
        var tree = new DraftTree();
        tree.Reset(0, 2, 10);
        int a1 = tree.Extend(0, 5);
        int b1 = tree.Extend(1, 7);
        int a2 = tree.Extend(0, 6);
        int b2 = tree.Extend(1, 6);

        Assert.NotEqual(a2, b2);
        Assert.Equal(a1, tree.Nodes[a2].Parent);
        Assert.Equal(b1, tree.Nodes[b2].Parent);
        Assert.Equal([a1, a2], tree.PathOf(0));
        Assert.Equal([b1, b2], tree.PathOf(1));
        Assert.Equal(a2, tree.TipOf(0));
        Assert.Equal(2, tree.Nodes[b2].Depth);
        Assert.Equal(2, tree.Depth);
        Assert.Equal(4, tree.DraftedCount);
    }

    [Fact]
    public void Extend_BranchesOfDifferentLengths_DepthIsTheLongest()
    {
        var tree = new DraftTree();
        tree.Reset(0, 2, 10);
        tree.Extend(0, 1);
        tree.Extend(0, 2);
        tree.Extend(0, 3);
        tree.Extend(1, 1);

        Assert.Equal(3, tree.Depth);
        Assert.Equal(3, tree.PathOf(0).Count);
        Assert.Single(tree.PathOf(1));
        Assert.Equal(tree.PathOf(0)[0], tree.PathOf(1)[0]);
        Assert.Equal(3, tree.DraftedCount);
    }

    [Fact]
    public void RentChildDistribution_SameNode_SameInstanceUntilMarkedDeterministic()
    {
        var tree = new DraftTree();
        tree.Reset(0, 1, 12);
        var first = tree.RentChildDistribution(0);

        Assert.Same(first, tree.RentChildDistribution(0));
        Assert.Same(first, tree.ChildDistributionOf(0));
        Assert.Same(first, tree.Nodes[0].ChildDistribution);
        Assert.Equal(12, first.VocabularySize);

        tree.MarkDeterministic(0);

        Assert.Null(tree.ChildDistributionOf(0));
        Assert.Null(tree.Nodes[0].ChildDistribution);
    }

    [Fact]
    public void MarkDeterministic_ReturnsTheDistributionToThePool_NextRentReusesIt()
    {
        var tree = new DraftTree();
        tree.Reset(0, 1, 12);
        int child = tree.Extend(0, 3);
        var pooled = tree.RentChildDistribution(0);
        tree.MarkDeterministic(0);

        Assert.Same(pooled, tree.RentChildDistribution(child));

        // Marking a node with nothing rented is a no-op.
        tree.MarkDeterministic(0);
        Assert.Null(tree.ChildDistributionOf(0));
    }

    [Fact]
    public void Release_ReturnsEveryDistribution_ResetReusesThemForTheSameVocabulary()
    {
        var tree = new DraftTree();
        tree.Reset(0, 1, 12);
        int child = tree.Extend(0, 3);
        var rootQ = tree.RentChildDistribution(0);
        var childQ = tree.RentChildDistribution(child);

        tree.Release();

        Assert.Empty(tree.Nodes);
        Assert.Equal(0, tree.BranchCount);
        tree.Reset(0, 1, 12);
        int again = tree.Extend(0, 4);
        var reused = new[] { tree.RentChildDistribution(0), tree.RentChildDistribution(again) };
        Assert.Contains(rootQ, reused);
        Assert.Contains(childQ, reused);
    }

    [Fact]
    public void Reset_OtherVocabularySize_DropsThePool()
    {
        var tree = new DraftTree();
        tree.Reset(0, 1, 12);
        var old = tree.RentChildDistribution(0);

        tree.Reset(0, 1, 20);
        var fresh = tree.RentChildDistribution(0);

        Assert.NotSame(old, fresh);
        Assert.Equal(20, fresh.VocabularySize);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheParameter()
    {
        var tree = new DraftTree();
        Assert.Throws<ArgumentOutOfRangeException>("branchCount", () => tree.Reset(0, 0, 10));
        tree.Reset(0, 2, 10);
        Assert.Throws<ArgumentOutOfRangeException>("branch", () => tree.Extend(2, 1));
        Assert.Throws<ArgumentOutOfRangeException>("branch", () => tree.Extend(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("token", () => tree.Extend(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>("branch", () => tree.PathOf(5));

        // A failed call leaves the tree as it was.
        Assert.Single(tree.Nodes);
        Assert.Equal(0, tree.DraftedCount);
    }
}
