namespace CoScientist.Web.Session;

/// <summary>A research the operator pinned as an example, linked from the empty home page; <see cref="Url"/> is built by the server.</summary>
public sealed record ExampleLink(string Title, string Url, int Cycles, int Hypotheses);
