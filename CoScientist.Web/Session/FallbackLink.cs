namespace CoScientist.Web.Session;

/// <summary>A finished research on a similar goal, offered to read when a limit stops a visitor; <see cref="Url"/> is built by the server.</summary>
public sealed record FallbackLink(string Title, string Url, double Similarity, bool IsExample);
