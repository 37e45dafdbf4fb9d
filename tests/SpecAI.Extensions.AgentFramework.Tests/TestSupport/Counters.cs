using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.AgentFramework.Tests.TestSupport;

/// <summary>Reads the speculation counters the client puts on usage and on streamed updates.</summary>
internal static class Counters
{
    public static long Of(UsageDetails? usage, string key) =>
        usage?.AdditionalCounts?.TryGetValue(key, out long value) == true
            ? value
            : throw new Xunit.Sdk.XunitException($"usage has no '{key}' (has: {string.Join(", ", usage?.AdditionalCounts?.Keys ?? [])})");

    public static long? Of(AgentResponseUpdate update, string key) =>
        update.AdditionalProperties?.TryGetValue(key, out object? value) == true && value is long count ? count : null;
}
