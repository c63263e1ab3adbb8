namespace CoScientist.Tests.Fakes;

/// <summary>A clock the test moves by hand, for hourly windows and day boundaries.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
