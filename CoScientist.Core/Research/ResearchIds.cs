using System.Security.Cryptography;

namespace CoScientist.Core.Research;

/// <summary>Unguessable identifiers for research and share links: 128 random bits, URL-safe.</summary>
public static class ResearchIds
{
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
