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

    /// <summary>Polls until an asynchronous condition holds (a server answers, a count reaches a value); times out otherwise.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition was not met in time.");
            await Task.Delay(20);
        }
    }
}
