using System.Text;

namespace CoScientist.Core.Cost;

/// <summary>Token counts without the model's tokenizer: an upper bound for budgets, a typical value for estimates.</summary>
public static class TokenEstimate
{
    private const int PerMessageOverhead = 8;

    /// <summary>
    /// At most one token per UTF-8 byte, plus message framing: byte-level tokenizers never produce more
    /// (rare characters fall back to single bytes), and the goal in every prompt is visitor-controlled text.
    /// </summary>
    public static long PromptUpperBound(params string[] messages) =>
        messages.Sum(m => Encoding.UTF8.GetByteCount(m) + PerMessageOverhead);

    /// <summary>The same bound for a prompt of <paramref name="characters"/> characters of plain (one-byte) text.</summary>
    public static long PromptUpperBound(int characters) => characters + PerMessageOverhead;

    /// <summary>The usual four characters per token of English prose.</summary>
    public static long Typical(int characters) => (long)Math.Ceiling(characters / 4.0);
}
