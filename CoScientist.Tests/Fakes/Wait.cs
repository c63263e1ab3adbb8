namespace CoScientist.Tests.Fakes;

public static class Wait
{
    /// <summary>Polls until the condition holds; fails the test with a timeout otherwise.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition was not met in time.");
            await Task.Delay(20);
        }
    }
}
