namespace CoScientist.Core.Agents.Ranking;

/// <summary>
/// Which contender the judge sees first, drawn at random per match, so a judge that favours a position favours no
/// hypothesis (and <see cref="JudgePositionStats"/> can measure how much it does). Tests hand it a seeded Random.
/// </summary>
public sealed class JudgeOrder(Random random)
{
    private readonly Lock _gate = new();

    public bool KeepOrder()
    {
        lock (_gate) return random.Next(2) == 0;
    }
}
