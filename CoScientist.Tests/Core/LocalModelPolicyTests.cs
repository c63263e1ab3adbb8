using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>Models of a local OpenAI-compatible server (no pricing in /models): read as $0, offered by the rules of issue 14.</summary>
public class LocalModelPolicyTests
{
    private sealed class FixedCatalog(ModelCatalogSnapshot snapshot) : IModelCatalog
    {
        public Task<ModelCatalogSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(snapshot);
    }

    /// <summary>Fetched afresh at every ask, as after each hour's expiry, so the policy recomputes its offer each time.</summary>
    private sealed class RefetchedCatalog(string json) : IModelCatalog
    {
        public Task<ModelCatalogSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(Live(json));
    }

    private static ModelCatalogSnapshot Live(string json) => new(ModelCatalogParser.Parse(json), true, DateTimeOffset.UtcNow, null);

    private static ModelPolicy Policy(string json, bool production, Action<CostControlOptions>? configure = null, ILoggerProvider? logs = null,
        bool refetched = false)
    {
        // The shipped defaults: OpenRouter models that a local server does not have.
        var options = new CostControlOptions { AllowedModelsProduction = ["google/gemini-2.5-flash", "openai/gpt-3.5-turbo"] };
        configure?.Invoke(options);
        var factory = LoggerFactory.Create(b => { if (logs is not null) b.AddProvider(logs); });
        return new ModelPolicy(refetched ? new RefetchedCatalog(json) : new FixedCatalog(Live(json)), Options.Create(options),
            Options.Create(new ResearchOptions { LlmModel = "google/gemini-2.5-flash" }),
            new DeploymentEnvironment(production, "test"), factory.CreateLogger<ModelPolicy>());
    }

    [Fact]
    public void OllamasModelList_IsReadAsLocalModelsCostingNothing()
    {
        var models = ModelCatalogParser.Parse(FakeLocalServer.OllamaModels);

        Assert.Equal([FakeLocalServer.Model, FakeLocalServer.SchemaRefusingModel], models.Select(m => m.Id));
        Assert.All(models, m =>
        {
            Assert.True(m.IsLocal);
            Assert.Equal(ModelTier.Local, ModelTiers.Of(m));
            Assert.Equal((0m, 0m, 0m, 0m), (m.PromptPrice!.Value, m.CompletionPrice!.Value, m.WorstPromptPrice!.Value, m.WorstCompletionPrice!.Value));
            Assert.True(m.SupportsStructuredOutputs); // tried first; the gateway steps down when the server refuses
        });
        Assert.Equal("local, not metered", ModelTiers.Label(ModelTier.Local));
    }

    [Fact]
    public void LlamaCppsModelList_IsLocalWithTheContextItLoaded()
    {
        var model = Assert.Single(ModelCatalogParser.Parse(FakeLocalServer.LlamaCppModels));

        Assert.True(model.IsLocal);
        Assert.Equal(8192, model.ContextLength);
        Assert.Null(model.MaxCompletionTokens);
        Assert.Equal(0m, model.BlendedPricePerMillion);
    }

    [Theory]
    [InlineData("openrouter-models-2025-05.json")]
    [InlineData("openrouter-models-2026-08.json")]
    public void OpenRoutersCatalogue_HasNoLocalModel_AndRoutersStayUnpriced(string fixture)
    {
        var models = ModelCatalogParser.Parse(TestData.Read(fixture));

        Assert.DoesNotContain(models, m => m.IsLocal);
        Assert.DoesNotContain(models, m => ModelTiers.Of(m) == ModelTier.Local);
        if (models.FirstOrDefault(m => m.Id == "openrouter/auto") is { } router)
            Assert.Equal(ModelTier.Unpriced, ModelTiers.Of(router));
    }

    [Fact]
    public async Task InDevelopment_ALocalServersModelsAreOffered_WithAUsableDefaultAndNoConfiguration()
    {
        var offer = await Policy(FakeLocalServer.OllamaModels, production: false).OfferAsync(KeyKind.Operator);

        Assert.Equal(2, offer.Models.Count);
        Assert.All(offer.Models, m => Assert.Equal(ModelTier.Local, m.Tier));
        Assert.Equal(FakeLocalServer.Model, offer.DefaultModel); // the configured gemini is not there: the first offered model
        Assert.True(offer.Allows(offer.DefaultModel));
        Assert.Contains("local", offer.Notice);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    public async Task InProduction_ALocalModelIsOfferedOnTheSharedKey_OnlyWhenAllowListedAndUnpricedModelsAreAllowed(
        bool listed, bool allowUnpriced, bool offered)
    {
        var policy = Policy(FakeLocalServer.OllamaModels, production: true, o =>
        {
            if (listed) o.AllowedModelsProduction.Add(FakeLocalServer.Model);
            o.AllowUnpricedModels = allowUnpriced;
        });

        var resolved = await policy.ResolveAsync(FakeLocalServer.Model, KeyKind.Operator);

        Assert.Equal(offered, resolved is not null);
        Assert.Null(await policy.ResolveAsync(FakeLocalServer.SchemaRefusingModel, KeyKind.Operator)); // never listed
        var offer = await policy.OfferAsync(KeyKind.Operator);
        if (offered)
        {
            Assert.Equal(FakeLocalServer.Model, offer.DefaultModel);
            Assert.Contains("does not protect this model", offer.LocalNotice);
        }
        else if (listed)
            Assert.Contains("cannot protect what it cannot price", offer.LocalNotice);
    }

    [Fact]
    public async Task AListedLocalModelRefusedForWantOfTheFlag_IsLoggedOnce()
    {
        var logs = new CapturingLoggerProvider();
        var policy = Policy(FakeLocalServer.OllamaModels, production: true, o => o.AllowedModelsProduction.Add(FakeLocalServer.Model), logs,
            refetched: true);

        await policy.OfferAsync(KeyKind.Operator);
        await policy.OfferAsync(KeyKind.Visitor);
        await policy.OfferAsync(KeyKind.Operator);

        var warnings = logs.Lines.Where(l => l.Contains($"{FakeLocalServer.Model} is local") && l.Contains("allow_unpriced_models")).ToList();
        Assert.Single(warnings);
        Assert.Equal([FakeLocalServer.Model], (await policy.OfferAsync(KeyKind.Operator)).RefusedLocal);
    }

    [Fact]
    public async Task AVisitorsOwnKey_GetsTheLocalModelsInProduction()
    {
        var offer = await Policy(FakeLocalServer.OllamaModels, production: true).OfferAsync(KeyKind.Visitor);

        Assert.Equal(2, offer.Models.Count);
    }

    [Fact]
    public void ALocalModelsCycle_IsEstimatedAtZero_EvenInTheWorstCase()
    {
        var model = ModelCatalogParser.Parse(FakeLocalServer.OllamaModels)[0];
        var settings = new ResearchOptions().ToSettings();

        var estimate = CostEstimator.Estimate(CyclePlan.For(settings, null), settings, model, goalChars: 200, existingHypotheses: 0);

        Assert.True(estimate.Calls > 0);
        Assert.Equal((0m, 0m), (estimate.ExpectedUsd, estimate.WorstUsd));
    }
}
