using Microsoft.AspNetCore.Components;

namespace CoScientist.Web.Components.Pages.Research;

/// <summary>
/// Tells a component whether its parent handed it exactly what it had already (the same objects, equal values), so it
/// can skip drawing itself again: a research page re-renders on every step's progress, and without this each of its
/// hypothesis cards would too. Only for parameters that are never changed in place (records, snapshot lists, values):
/// an object changed in place would look the same. Child content always counts as changed (a new delegate each time).
/// </summary>
public sealed class SameParameters
{
    private IReadOnlyDictionary<string, object?>? _last;

    /// <summary>True when every parameter is the one last applied; remembers these as the last either way.</summary>
    public bool Unchanged(ParameterView parameters)
    {
        var now = parameters.ToDictionary();
        var last = _last;
        _last = now;
        if (last is null || last.Count != now.Count) return false;
        foreach (var (name, value) in now)
            if (!last.TryGetValue(name, out var before) || !Same(before, value))
                return false;
        return true;
    }

    // Objects by reference (a record's value equality could walk a whole hypothesis); simple values, strings and
    // callbacks (a struct of receiver and delegate: equal ones do the same) by equality. Any other struct counts as
    // changed: its equality could hide a fragment or an object changed in place.
    private static bool Same(object? before, object? now) =>
        ReferenceEquals(before, now) || (before is not null && now is not null && ComparedByValue(before.GetType()) && before.Equals(now));

    private static bool ComparedByValue(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTimeOffset)
        || type == typeof(DateTime) || type == typeof(TimeSpan) || type == typeof(EventCallback)
        || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EventCallback<>));
}

/// <summary>
/// A component drawn again only when its parent hands it something new (in <see cref="SameParameters"/>' sense): the
/// research page re-renders at every step of a running cycle, and what did not change need not be drawn, nor diffed.
/// Its own events still redraw it as usual.
/// </summary>
public abstract class DrawnWhenChanged : ComponentBase
{
    private readonly SameParameters _same = new();

    public override Task SetParametersAsync(ParameterView parameters) =>
        _same.Unchanged(parameters) ? Task.CompletedTask : base.SetParametersAsync(parameters);
}
