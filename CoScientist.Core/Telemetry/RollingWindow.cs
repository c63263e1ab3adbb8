namespace CoScientist.Core.Telemetry;

/// <summary>
/// The last <c>capacity</c> values, oldest overwritten first: the admin page's percentiles come from here, so memory
/// stays bounded however long the server runs, and the figures follow what is happening now rather than since start.
/// </summary>
public sealed class RollingWindow<T>(int capacity)
{
    private readonly T[] _items = new T[capacity];
    private int _next, _count;

    public void Add(T item)
    {
        lock (_items)
        {
            _items[_next] = item;
            _next = (_next + 1) % _items.Length;
            _count = Math.Min(_count + 1, _items.Length);
        }
    }

    public T[] ToArray()
    {
        lock (_items)
        {
            var copy = new T[_count];
            for (var i = 0; i < _count; i++)
                copy[i] = _items[(_next - _count + i + _items.Length) % _items.Length];
            return copy;
        }
    }
}

public static class Percentile
{
    /// <summary>The nearest-rank percentile (p in 0..1): a value that was really observed, never an interpolation.</summary>
    public static double? Of(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
