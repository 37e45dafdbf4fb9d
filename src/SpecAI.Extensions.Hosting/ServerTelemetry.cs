using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SpecAI.Extensions.Hosting;

/// <summary>Server-side instruments on the "SpecAI.Extensions" meter (so one <c>AddMeter</c> collects them with the engine's).</summary>
internal static class ServerTelemetry
{
    private static readonly Meter Meter = new(SpeculationTelemetry.Name, "0.1.0");
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("specai.server.requests", "{request}", "Requests by outcome: ok, bad_request, queue_full, cancelled, error; refused before the endpoint: invalid_api_key, invalid_host, invalid_origin, unsupported_media_type, request_too_large, limit_exceeded, server_shutting_down.");

    /// <summary>Counts one finished request.</summary>
    public static void Record(string outcome, bool stream)
        => Requests.Add(1, new TagList { { "outcome", outcome }, { "stream", stream } });
}
