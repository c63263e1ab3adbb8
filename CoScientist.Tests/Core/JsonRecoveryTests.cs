using System.Text.Json.Nodes;
using CoScientist.Core.Agents.Generation;
using CoScientist.Core.Agents.Reflection;
using CoScientist.Core.Llm;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.Core;

public class JsonRecoveryTests
{
    public static TheoryData<int> RecordedAnswers()
    {
        var data = new TheoryData<int>();
        var count = JsonNode.Parse(TestData.Read("llm-outputs-gemini-2025.json"))!.AsArray().Count;
        for (var i = 0; i < count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(RecordedAnswers))]
    public void EveryRecordedGeminiAnswer_YieldsHypothesesOrAReview(int index)
    {
        var item = JsonNode.Parse(TestData.Read("llm-outputs-gemini-2025.json"))!.AsArray()[index]!;
        var raw = item["raw"]!.GetValue<string>();

        var node = JsonRecovery.TryParse(raw);

        Assert.NotNull(node);
        if (item["kind"]!.GetValue<string>() == "generation")
        {
            var drafts = GenerationAgent.Read(node);
            Assert.NotEmpty(drafts);
            Assert.All(drafts, d => Assert.False(string.IsNullOrWhiteSpace(d.Statement)));
            Assert.All(drafts, d => Assert.DoesNotContain("Hypothesis:", d.Title));
        }
        else
        {
            var review = ReflectionAgent.Read(node);
            Assert.False(string.IsNullOrWhiteSpace(review.Critique));
        }
    }

    [Fact]
    public void TheRecordedAnswerThatIsCutOff_IsClosedAtItsLastCompleteValue()
    {
        var all = JsonNode.Parse(TestData.Read("llm-outputs-gemini-2025.json"))!.AsArray();
        var broken = all.Select(x => x!["raw"]!.GetValue<string>())
            .Single(raw => { try { JsonNode.Parse(JsonRecovery.ExtractJson(raw)); return false; } catch { return true; } });

        var node = JsonRecovery.TryParse(broken, out var repaired);

        Assert.True(repaired);
        var review = ReflectionAgent.Read(node!);
        Assert.Equal(CoScientist.Core.Research.RatingLevel.Medium, review.Novelty.Level);
    }

    [Theory]
    [InlineData("```json\n{\"a\": 1}\n```", 1)]
    [InlineData("Sure! Here it is:\n```\n{\"a\": 2}\n```\nHope this helps.", 2)]
    [InlineData("Here you go: {\"a\": 3} -- done", 3)]
    [InlineData("{\"a\": 4, \"b\": [1, 2,", 4)]
    [InlineData("{\"a\": 5, \"b\": \"an unfinished str", 5)]
    [InlineData("```json\n{\"a\": 6, \"b\": {\"c\": [\"x\", \"y\"", 6)]
    [InlineData("{\"a\": 7,}", 7)]
    public void FencedChattyOrTruncatedJson_IsRecovered(string raw, int expected)
    {
        var node = JsonRecovery.TryParse(raw);

        Assert.Equal(expected, node!["a"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("I cannot help with that.")]
    [InlineData("```\nno json here\n```")]
    public void AnswersWithoutJson_AreReportedAsUnreadable(string raw) => Assert.Null(JsonRecovery.TryParse(raw));
}
