namespace CoScientist.Tests.Fakes;

/// <summary>Recorded real-world data copied from shared/fixtures (see TestData/README.md for provenance).</summary>
public static class TestData
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", name);

    public static string Read(string name) => File.ReadAllText(Path(name));
}
