namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>A clock that moves only when told to (scripted decode costs).</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan elapsed) => _ticks += elapsed.Ticks;
}
