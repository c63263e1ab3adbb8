using System.Text;

namespace CoScientist.Core.Cost;

/// <summary>Token counts without the model's tokenizer: an upper bound for budgets, a typical value for estimates.</summary>
public static class TokenEstimate
{
    private const int PerMessageOverhead = 8;

    /// <summary>
    /// At most one token per two UTF-8 bytes, plus message framing: tokenizers average about four bytes
    /// per English token and about one token per CJK character (three bytes), so this bounds both.
    /// </summary>
    public static long PromptUpperBound(params string[] messages) =>
        messages.Sum(m => (long)Math.Ceiling(Encoding.UTF8.GetByteCount(m) / 2.0) + PerMessageOverhead);

    /// <summary>The usual four characters per token of English prose.</summary>
    public static long Typical(int characters) => (long)Math.Ceiling(characters / 4.0);
}
