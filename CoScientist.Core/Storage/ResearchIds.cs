using System.Security.Cryptography;

namespace CoScientist.Core.Storage;

/// <summary>
/// Research ids and share tokens appear in links: whoever holds one may read the research, so they carry
/// 128 random bits (22 URL-safe characters) and can be neither guessed nor enumerated.
/// </summary>
public static class ResearchIds
{
    public const int Bits = 128;

    public static string New() => Base64UrlEncode(RandomNumberGenerator.GetBytes(Bits / 8));

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
