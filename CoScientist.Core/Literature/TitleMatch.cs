using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CoScientist.Core.Literature;

/// <summary>
/// Whether two titles name the same work, for checking a reference the model wrote against a record a source returned.
/// <para>
/// Titles are first normalised so that what sources and models vary without changing the work does not count: case,
/// punctuation, markup, diacritics, Greek letters spelled out, "&amp;" for "and", hyphenation, bracketed abbreviations
/// ("(BIPV)"), function words ("the", "of", "in"…) and plain inflections ("induces"/"induced", "cells"/"cell").
/// What is left is compared as a sequence: the Sørensen–Dice coefficient of word bigrams, with the start and end of the
/// title as words too, so an added or dropped word costs two bigrams wherever it falls and word order counts.
/// </para>
/// <para>
/// The threshold is strict on purpose. A false match turns a made-up reference into a link that looks trustworthy; a
/// missed one leaves a real reference as plain text marked unverified, which costs the reader one search. At 0.9 the only
/// difference tolerated is one word added or dropped in a long title (15 or more content words); a changed word, an
/// added qualifier ("… in mice") or a subtitle added or dropped in an ordinary title is a different title. Subtitles are
/// how real papers differ from each other ("The Hallmarks of Aging", 2013, and "Hallmarks of aging: an expanding
/// universe", 2023), so "The Hallmarks of Aging" does not match "The Hallmarks of Aging: an update".
/// A correction, retraction or comment notice never matches the paper it is about.
/// </para>
/// </summary>
public static partial class TitleMatch
{
    public const double Threshold = 0.9;

    /// <summary>
    /// A title needs this many content words to pin down one work by itself; "Deep learning" names hundreds, so a shorter
    /// title found by a search needs its journal and year to agree as well (see <see cref="ReferenceVerifier"/>).
    /// </summary>
    public const int SpecificWords = 3;

    private static readonly HashSet<string> FunctionWords =
        ["a", "an", "the", "and", "of", "in", "on", "for", "to", "with", "by", "at", "from", "via", "as", "into"];

    private static readonly Dictionary<char, string> Spelled = new()
    {
        ['α'] = "alpha", ['β'] = "beta", ['γ'] = "gamma", ['δ'] = "delta", ['ε'] = "epsilon", ['κ'] = "kappa",
        ['λ'] = "lambda", ['μ'] = "mu", ['π'] = "pi", ['σ'] = "sigma", ['τ'] = "tau", ['ω'] = "omega",
        ['ø'] = "o", ['æ'] = "ae", ['œ'] = "oe", ['ß'] = "ss", ['ł'] = "l", ['đ'] = "d", ['ı'] = "i",
    };

    [GeneratedRegex(@"\([^()]*\)|\[[^\[\]]*\]")]
    private static partial Regex Bracketed();

    [GeneratedRegex(@"^(?:author |publisher )?(?:correction|erratum|corrigendum|retraction(?: note)?|retracted|withdrawn|(?:editorial )?expression of concern|comment on|reply to|response to)\b")]
    private static partial Regex Notice();

    /// <summary>0 (nothing in common) to 1 (the same title once normalised); symmetric.</summary>
    public static double Similarity(string a, string b)
    {
        var wordsA = Words(a);
        var wordsB = Words(b);
        if (wordsA.Count == 0 || wordsB.Count == 0) return 0;
        if (IsNotice(wordsA) != IsNotice(wordsB)) return 0;
        var contentA = Content(wordsA);
        var contentB = Content(wordsB);
        // "Self-supervised" and "selfsupervised" differ only in where the words break.
        if (string.Concat(contentA) == string.Concat(contentB)) return 1;
        var bigramsA = Bigrams(contentA);
        var bigramsB = Bigrams(contentB);
        var shared = 0;
        foreach (var (bigram, count) in bigramsA)
            if (bigramsB.TryGetValue(bigram, out var other)) shared += Math.Min(count, other);
        return 2.0 * shared / (contentA.Count + 1 + contentB.Count + 1);
    }

    public static bool Matches(string a, string b) => Similarity(a, b) >= Threshold;

    /// <summary>Whether the title has enough content words (with a letter in them) to identify a work by itself.</summary>
    public static bool IsSpecific(string title) => Content(Words(title)).Count(w => w.Any(char.IsLetter)) >= SpecificWords;

    /// <summary>Whether there is a title here at all, rather than a bare number such as a PubMed id.</summary>
    public static bool HasWords(string? title) => title is not null && Words(title).Any(w => w.Any(char.IsLetter));

    /// <summary>Lower-case words without diacritics, markup, bracketed asides or punctuation.</summary>
    internal static List<string> Words(string title)
    {
        var plain = MarkupText.ToPlainText(title);
        if (plain is null) return [];
        plain = Bracketed().Replace(plain.ToLowerInvariant(), " ");
        var builder = new StringBuilder(plain.Length);
        foreach (var c in plain.Normalize(NormalizationForm.FormKD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (Spelled.TryGetValue(c, out var spelled)) builder.Append(' ').Append(spelled).Append(' ');
            else if (c is '\'' or '’' or 'ʼ') continue; // "paclitaxel's" and "paclitaxels" are one word
            else if (c == '&') builder.Append(" and ");
            else builder.Append(char.IsLetterOrDigit(c) ? c : ' ');
        }
        return [.. builder.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static bool IsNotice(List<string> words) => Notice().IsMatch(string.Join(' ', words));

    private static List<string> Content(List<string> words)
    {
        var content = words.Where(w => !FunctionWords.Contains(w)).ToList();
        return content.Count > 0 ? content : words;
    }

    private static Dictionary<(string, string), int> Bigrams(List<string> words)
    {
        var stems = words.Select(Stem).Prepend("^").Append("$").ToList();
        var bigrams = new Dictionary<(string, string), int>();
        for (var i = 0; i + 1 < stems.Count; i++)
            bigrams[(stems[i], stems[i + 1])] = bigrams.GetValueOrDefault((stems[i], stems[i + 1])) + 1;
        return bigrams;
    }

    /// <summary>A light stemmer: plural s, -ed, -ing and a final e, so "induces", "induced" and "induce" agree.</summary>
    internal static string Stem(string word)
    {
        if (word.Length <= 3 || !word.Any(char.IsLetter)) return word;
        if (word.EndsWith("ies", StringComparison.Ordinal) && word.Length > 4) word = word[..^3] + "y";
        else if (word.EndsWith("sses", StringComparison.Ordinal)) word = word[..^2];
        else if (word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) && !word.EndsWith("us", StringComparison.Ordinal) && !word.EndsWith("is", StringComparison.Ordinal))
            word = word[..^1];
        foreach (var suffix in (ReadOnlySpan<string>)["ing", "ed"])
        {
            if (word.EndsWith(suffix, StringComparison.Ordinal) && word.Length - suffix.Length >= 3)
            {
                word = word[..^suffix.Length];
                break;
            }
        }
        return word.EndsWith('e') && word.Length > 3 ? word[..^1] : word;
    }
}
