using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry.Metrics;
using SpecAI.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Prometheus metrics of the "SpecAI.Extensions" meter (engine counters and server requests).</summary>
public static class SpecAIMetricsExtensions
{
    /// <summary>
    /// Adds OpenTelemetry metrics for the "SpecAI.Extensions" meter with the Prometheus exporter; map the scraping
    /// endpoint with <see cref="MapSpecAIMetrics"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSpecAIMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(SpeculationTelemetry.Name).AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// Maps the Prometheus text-format scraping endpoint (needs <see cref="AddSpecAIMetrics"/>). Open to anyone who can
    /// reach it: behind API keys, add <c>.WithOpenAIServerGuard(options)</c> with the settings of <c>MapOpenAIChatCompletions</c>.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="path">The path; "/metrics" by default.</param>
    /// <returns>A builder for conventions on the endpoint.</returns>
    public static IEndpointConventionBuilder MapSpecAIMetrics(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPrometheusScrapingEndpoint(path);
    }
}
