using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests;

[Collection(StoriesCollection.Name)]
public class TelemetryTests(StoriesClients clients)
{
    [Fact]
    public async Task Request_EmitsMetricsAndActivityTaggedLosslessOrLossy()
    {
        var measurements = new List<(string Name, long Value, bool Lossless)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SpeculationTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            bool lossless = true;
            foreach (var tag in tags)
            {
                if (tag.Key == "specai.lossless")
                {
                    lossless = (bool)tag.Value!;
                }
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, lossless));
            }
        });
        listener.Start();

        var activities = new List<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SpeculationTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity); } },
        };
        ActivitySource.AddActivityListener(activityListener);

        await clients.Q4.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });
        await clients.Q4.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions
        {
            Temperature = 1,
            Seed = 1,
            MaxOutputTokens = 8,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Verifier] = "typical" },
        });

        lock (measurements)
        {
            Assert.Contains(measurements, m => m.Name == "specai.generated_tokens" && m.Value == 8 && m.Lossless);
            Assert.Contains(measurements, m => m.Name == "specai.generated_tokens" && m.Value == 8 && !m.Lossless);
            Assert.Contains(measurements, m => m.Name == "specai.target_calls" && m.Value > 0);
        }

        lock (activities)
        {
            Assert.Contains(activities, a => a.OperationName == "specai.generate" && Equals(a.GetTagItem("specai.lossless"), false));
        }
    }
}
