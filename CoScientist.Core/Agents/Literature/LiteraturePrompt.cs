using CoScientist.Core.Llm;
using static CoScientist.Core.Llm.JsonSchemaBuilder;

namespace CoScientist.Core.Agents.Literature;

internal static class LiteraturePrompt
{
    public const string System =
        "You are the Literature agent of an AI co-scientist. Turn a research goal into search queries for arXiv and " +
        "Europe PMC (PubMed): two or three queries of two to four specific keywords each (the terms a paper on the " +
        "topic would use in its title or abstract), each covering a different angle. Every word of a query must appear " +
        "in a paper for it to match, so prefer precise technical terms over long phrases, and use no operators or quotes.";

    public static string User(string goal, string feedback) =>
        $"""
        Research goal:
        {goal}{feedback}
        """;

    public static readonly JsonSchemaSpec Schema = new("literature_queries", Object(
        ("queries", Array("Two or three search queries, two to four keywords each", String("Keywords separated by spaces")))));
}
