using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Verification;

/// <summary>
/// The tree walk on its own, without an engine: a two-level tree drafted from a context-dependent draft law, verified
/// against a context-dependent target law. Every random choice (drafting and verifying) is enumerated exactly.
/// </summary>
public class TreeVerifierTests
{
    private const int Vocabulary = 3;
    private static readonly HashSet<int> NoStop = new();

    // Target and draft laws after the empty context and after each first token.
    private static readonly double[] P0 = [0.5, 0.3, 0.2];
    private static readonly double[][] P1 = [[0.1, 0.6, 0.3], [0.7, 0.2, 0.1], [0.25, 0.25, 0.5]];
    private static readonly double[] Q0 = [0.2, 0.2, 0.6];
    private static readonly double[][] Q1 = [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.4, 0.5, 0.1]];

    public static TheoryData<string, int> LosslessRules => new()
    {
        { nameof(StandardVerifier), 1 },
        { nameof(RecursiveRejectionVerifier), 2 },
        { nameof(KSeqVerifier), 2 },
    };

    [Theory]
    [MemberData(nameof(LosslessRules))]
    public void Verify_LosslessRule_FirstTwoTokensFollowTheTarget(string name, int branches)
    {
        ISpeculativeVerifier rule = name switch
        {
            nameof(StandardVerifier) => StandardVerifier.Instance,
            nameof(RecursiveRejectionVerifier) => RecursiveRejectionVerifier.Instance,
            _ => KSeqVerifier.Instance,
        };
        var trees = new TreeVerifier(Vocabulary);
        var target = new TableTarget();
        var law = new double[Vocabulary * Vocabulary];
        foreach (var (tokens, probability) in EnumeratingRandomSource.Enumerate(random =>
                 {
                     var tree = Draft(random, branches);
                     var result = trees.Verify(tree, target.For(tree), rule, random, int.MaxValue, NoStop, measuresBound: false);
                     Assert.InRange(result.Tokens.Count, 1, 3);
                     Assert.Equal(result.Tokens.Count - 1, result.PathLength);
                     int first = result.Tokens[0];

                     // The next step would draw the second token from the target when this walk stopped after one.
                     int second = result.Tokens.Count > 1 ? result.Tokens[1] : random.NextCategorical(P1[first]);
                     return first * Vocabulary + second;
                 }))
        {
            law[tokens] += probability;
        }

        for (int a = 0; a < Vocabulary; a++)
        {
            for (int b = 0; b < Vocabulary; b++)
            {
                Assert.True(Math.Abs(P0[a] * P1[a][b] - law[a * Vocabulary + b]) < 1e-12, $"{name}: P({a},{b}) = {law[a * Vocabulary + b]}, expected {P0[a] * P1[a][b]}");
            }
        }
    }

    [Fact]
    public void Verify_StopTokenOrBudget_EndsTheWalkThere()
    {
        var trees = new TreeVerifier(Vocabulary);
        var target = new TableTarget();
        var stop = new HashSet<int> { 1 };
        foreach (var (result, _) in EnumeratingRandomSource.Enumerate(random =>
                 {
                     var tree = Draft(random, 2);
                     var stopped = trees.Verify(tree, target.For(tree), RecursiveRejectionVerifier.Instance, random, int.MaxValue, stop, measuresBound: false).Tokens.ToArray();
                     var budgeted = trees.Verify(tree, target.For(tree), RecursiveRejectionVerifier.Instance, random, 1, NoStop, measuresBound: false).Tokens.ToArray();
                     return (stopped, budgeted);
                 }))
        {
            int at = Array.IndexOf(result.stopped, 1);
            Assert.True(at < 0 || at == result.stopped.Length - 1, "A token was committed after a stop token.");
            Assert.Single(result.budgeted);
        }
    }

    [Fact]
    public void Verify_RuleWithStepState_IsToldEachStepAndItsLossyCountReported()
    {
        var trees = new TreeVerifier(Vocabulary);
        var rule = new AlwaysFirstCandidate();
        var tree = new DraftTree();
        tree.Reset(rootToken: 0, branchCount: 1, vocabularySize: Vocabulary);
        tree.Extend(0, 2);
        tree.Extend(0, 1);
        var target = new TableTarget();

        var first = trees.Verify(tree, target.For(tree), rule, new SeededRandomSource(1), int.MaxValue, NoStop, measuresBound: false);
        Assert.Equal(new[] { 2, 1, 0 }, first.Tokens);
        Assert.Equal(2, first.Accepted);
        Assert.Equal(2, first.LossyAccepted);
        Assert.Equal(new (int, bool)[] { (1, true), (2, true) }, first.Depths);

        var second = trees.Verify(tree, target.For(tree), rule, new SeededRandomSource(1), 2, NoStop, measuresBound: false);
        Assert.Equal(new[] { 2, 1 }, second.Tokens);
        Assert.Equal(2, rule.Steps);
        Assert.Equal(2, second.LossyAccepted);
    }

    /// <summary>Drafts <paramref name="branches"/> independent two-token drafts from the draft law.</summary>
    private static DraftTree Draft(IRandomSource random, int branches)
    {
        var tree = new DraftTree();
        tree.Reset(rootToken: 0, branchCount: branches, vocabularySize: Vocabulary);
        tree.RentChildDistribution(0).SetDense(Q0);
        for (int b = 0; b < branches; b++)
        {
            int node = tree.Extend(b, random.NextCategorical(Q0));
            tree.RentChildDistribution(node).SetDense(Q1[tree.Nodes[node].Token]);
        }

        for (int b = 0; b < branches; b++)
        {
            int parent = tree.TipOf(b);
            tree.Extend(b, random.NextCategorical(Q1[tree.Nodes[parent].Token]));
        }

        return tree;
    }

    /// <summary>The target law of the tables: p after the empty context, after one token, and uniform after two.</summary>
    private sealed class TableTarget : ITreeTarget
    {
        private DraftTree? _tree;

        public ITreeTarget For(DraftTree tree)
        {
            _tree = tree;
            return this;
        }

        public void Distribution(int node, ReadOnlySpan<int> committed, TokenDistribution p)
        {
            // The walk follows the committed tokens: the node's path from the root is exactly what was committed.
            var tree = _tree!;
            var path = new List<int>();
            for (int n = node; n > 0; n = tree.Nodes[n].Parent)
            {
                path.Insert(0, tree.Nodes[n].Token);
            }

            Assert.Equal(path, committed.ToArray());
            p.SetDense(committed.Length switch
            {
                0 => P0,
                1 => P1[committed[0]],
                _ => [1.0 / 3, 1.0 / 3, 1.0 / 3],
            });
        }

        public double[]? JudgeScores(ReadOnlySpan<int> candidateNodes) => null;
    }

    /// <summary>A lossy rule that keeps the first candidate and counts it as a lossy acceptance.</summary>
    private sealed class AlwaysFirstCandidate : ISpeculativeVerifier
    {
        private int _kept;

        public int Steps { get; private set; }

        public VerifierKind Kind => VerifierKind.Standard;

        public bool IsLossless => false;

        public DraftScheme Scheme => DraftScheme.Independent;

        public int LossyAcceptancesInStep => _kept;

        public void BeginStep()
        {
            Steps++;
            _kept = 0;
        }

        public VerificationResult Verify(in VerificationNode node, IRandomSource random)
        {
            if (node.Candidates.IsEmpty)
            {
                return VerificationResult.Recovered(0);
            }

            _kept++;
            return new VerificationResult(node.Candidates[0], 0);
        }
    }
}
