using System.Collections.Concurrent;

namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>Clients over the stories260K vocabulary pairs (<see cref="VocabularyFixtures"/>), each loaded once for the test class.</summary>
public sealed class VocabularyPairs : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<SpeculativeChatClient>> _clients = new();

    /// <summary>Every pair whose vocabularies differ, by name.</summary>
    public static readonly string[] Mapped = ["padded", "big", "shuffled", "fewer-merges", "byte-level", "byte-level-text"];

    public static (string Target, string Draft, VocabularyMapping Mapping, VocabularyCompatibilityKind Kind) Describe(string name) => name switch
    {
        "identical" => (TestModels.Stories, TestModels.StoriesQ4, VocabularyMapping.Auto, VocabularyCompatibilityKind.Identical),
        "padded" => (VocabularyFixtures.PaddedTarget, TestModels.StoriesQ4, VocabularyMapping.Auto, VocabularyCompatibilityKind.Padded),
        "big" => (TestModels.Stories, VocabularyFixtures.BigDraft, VocabularyMapping.Auto, VocabularyCompatibilityKind.Intersection),
        "shuffled" => (TestModels.Stories, VocabularyFixtures.ShuffledDraft, VocabularyMapping.Auto, VocabularyCompatibilityKind.Intersection),
        "fewer-merges" => (TestModels.Stories, VocabularyFixtures.FewerMergesDraft, VocabularyMapping.Auto, VocabularyCompatibilityKind.Intersection),
        "byte-level" => (TestModels.Stories, VocabularyFixtures.ByteLevelDraft, VocabularyMapping.Auto, VocabularyCompatibilityKind.Intersection),
        "byte-level-text" => (TestModels.Stories, VocabularyFixtures.ByteLevelDraft, VocabularyMapping.Text, VocabularyCompatibilityKind.Text),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown pair."),
    };

    public SpeculativeChatClient this[string name] => _clients.GetOrAdd(name, n => new Lazy<SpeculativeChatClient>(() =>
    {
        var (target, draft, mapping, _) = Describe(n);
        return new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = target,
            DraftModelPath = draft,
            VocabularyMapping = mapping,
            ContextSize = 1024,
            DraftLength = 4,
            Threads = 1,
            BatchSize = 128,
            MaxConcurrentRequests = 2,
        });
    })).Value;

    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
        {
            client.Value.Dispose();
        }
    }
}
