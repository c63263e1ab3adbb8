namespace CoScientist.Core.Cost;

public enum LimitKind { SessionCycles, SessionRequests, ClientCyclesPerHour, ConcurrentCycles, DailySpend, MonthlySpend, Paused, SessionExpired, StorageUnavailable }

/// <summary>Why a request was refused: which limit, how much of it is used, and when it frees up.</summary>
public sealed record LimitBlock(LimitKind Kind, string Message, DateTimeOffset? ResetsAt, bool OwnKeyHelps)
{
    public string FullMessage => OwnKeyHelps ? Message + " You can continue with your own OpenRouter key." : Message;

    public static string Until(DateTimeOffset resetsAt, DateTimeOffset now)
    {
        var wait = resetsAt - now;
        var inText = wait.TotalHours >= 1 ? $"{(int)wait.TotalHours} h {wait.Minutes} min" : $"{Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes))} min";
        return $"{resetsAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC (in {inText})";
    }
}
