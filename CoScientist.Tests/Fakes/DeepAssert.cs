using System.Collections;
using System.Reflection;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// Field-by-field equality for records holding lists (record equality compares lists by reference):
/// a mismatch names its path, e.g. <c>.Hypotheses[3].Review.References[1].Url</c>.
/// </summary>
public static class DeepAssert
{
    public static void Equal(object? expected, object? actual, string path = "")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal or DateTimeOffset or TimeSpan)
        {
            Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
            return;
        }
        // Lists compare by their elements, whatever collection type holds them.
        if (expected is IEnumerable items)
        {
            var want = items.Cast<object?>().ToList();
            var got = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
            Assert.True(want.Count == got.Count, $"{path}: expected {want.Count} items, got {got.Count}");
            for (var i = 0; i < want.Count; i++)
                Equal(want[i], got[i], $"{path}[{i}]");
            return;
        }
        Assert.True(type == actual.GetType(), $"{path}: expected a {type.Name}, got a {actual.GetType().Name}");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            Equal(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
    }
}
