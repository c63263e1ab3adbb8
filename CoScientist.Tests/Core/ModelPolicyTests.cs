using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

public class ModelPolicyTests
{
    private static readonly string[] GuideAllowList =
    [
        "google/gemini-2.0-flash-001", "google/gemini-flash-1.5", "openai/gpt-3.5-turbo", "anthropic/claude-3-haiku",
        "meta-llama/llama-3.1-8b-instruct", "mistralai/mistral-7b-instruct", "microsoft/phi-3-mini-4k-instruct",
    ];

    private sealed class FixedCatalog(ModelCatalogSnapshot snapshot) : IModelCatalog
    {
        public Task<ModelCatalogSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(snapshot);
    }

    private static ModelCatalogSnapshot Catalog(string fixture) =>
        new(ModelCatalogParser.Parse(TestData.Read(fixture)), true, DateTimeOffset.UtcNow, null);

    private static ModelPolicy Policy(ModelCatalogSnapshot snapshot, bool production, Action<CostControlOptions>? configure = null)
    {
        var options = new CostControlOptions { AllowedModelsProduction = [.. GuideAllowList], DefaultModel = "google/gemini-2.0-flash-001" };
        configure?.Invoke(options);
        return new ModelPolicy(new FixedCatalog(snapshot), Options.Create(options),
            Options.Create(new ResearchOptions { LlmModel = "google/gemini-2.5-flash" }),
            new DeploymentEnvironment(production, "test"), NullLogger<ModelPolicy>.Instance);
    }

    [Fact]
    public async Task InProduction2026_OnlyTheThreeSurvivingAllowListedModelsAndFreeModelsAreOffered()
    {
        var offer = await Policy(Catalog("openrouter-models-2026-08.json"), production: true).OfferAsync(KeyKind.Operator);

        var paid = offer.Models.Where(m => !m.Info.IsFreeVariant).Select(m => m.Id).OrderBy(x => x).ToList();
        Assert.Equal(["anthropic/claude-3-haiku", "meta-llama/llama-3.1-8b-instruct", "openai/gpt-3.5-turbo"], paid);
        Assert.Equal(17, offer.Models.Count(m => m.Info.IsFreeVariant));
        Assert.Equal(4, offer.DroppedAllowListed.Count);
        Assert.Contains("google/gemini-2.0-flash-001", offer.DroppedAllowListed);
        Assert.Equal("openai/gpt-3.5-turbo", offer.DefaultModel); // the guide's default is gone: first available allowed model
        Assert.Contains("filtered for cost control", offer.Notice);
    }

    [Fact]
    public async Task InProduction2025_SixOfTheSevenAllowListedModelsExist()
    {
        var offer = await Policy(Catalog("openrouter-models-2025-05.json"), production: true, o => o.AllowFreeModels = false).OfferAsync(KeyKind.Operator);

        Assert.Equal(6, offer.Models.Count);
        Assert.Equal(["microsoft/phi-3-mini-4k-instruct"], offer.DroppedAllowListed);
        Assert.Equal("google/gemini-2.0-flash-001", offer.DefaultModel);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RoutersPricedMinusOne_AreNeverOfferedOnTheSharedKey(bool production)
    {
        var offer = await Policy(Catalog("openrouter-models-2026-08.json"), production, o => o.AllowedModelsProduction.Add("openrouter/auto")).OfferAsync(KeyKind.Operator);

        Assert.DoesNotContain(offer.Models, m => m.Id == "openrouter/auto");
        Assert.All(offer.Models, m => Assert.True(m.Info.IsPriceKnown));
    }

    [Fact]
    public async Task InDevelopment_EveryPricedModelIsOffered()
    {
        var snapshot = Catalog("openrouter-models-2026-08.json");

        var offer = await Policy(snapshot, production: false).OfferAsync(KeyKind.Operator);

        Assert.Equal(snapshot.Models.Count(m => m.IsPriceKnown), offer.Models.Count);
        Assert.Equal("google/gemini-2.5-flash", offer.DefaultModel);
    }

    [Fact]
    public async Task APriceCeiling_DropsDearerModels()
    {
        var offer = await Policy(Catalog("openrouter-models-2026-08.json"), production: true, o => o.MaxPricePerMillionTokens = 0.5).OfferAsync(KeyKind.Operator);

        Assert.DoesNotContain(offer.Models, m => m.Id == "openai/gpt-3.5-turbo"); // blended $0.75/M
        Assert.Contains(offer.Models, m => m.Id == "meta-llama/llama-3.1-8b-instruct");
    }

    [Fact]
    public async Task ModelsAreTieredByPrice()
    {
        var offer = await Policy(Catalog("openrouter-models-2026-08.json"), production: false).OfferAsync(KeyKind.Operator);

        Assert.Equal(ModelTier.Free, offer.Find("openai/gpt-oss-20b:free")!.Tier);
        Assert.Equal(ModelTier.Budget, offer.Find("meta-llama/llama-3.1-8b-instruct")!.Tier);
        Assert.Equal(ModelTier.Standard, offer.Find("openai/gpt-3.5-turbo")!.Tier);
        Assert.Contains(offer.Models, m => m.Tier == ModelTier.Premium);
        Assert.Equal(offer.Models.OrderBy(m => m.Tier).Select(m => m.Id), offer.Models.Select(m => m.Id));
    }

    [Fact]
    public async Task AVisitorsOwnKey_GetsEveryModel()
    {
        var snapshot = Catalog("openrouter-models-2026-08.json");

        var offer = await Policy(snapshot, production: true).OfferAsync(KeyKind.Visitor);

        Assert.Equal(snapshot.Models.Count, offer.Models.Count);
        Assert.NotNull(await Policy(snapshot, production: true).ResolveAsync("anthropic/claude-opus-5", KeyKind.Visitor));
    }

    [Fact]
    public async Task TheServerRefusesAModelOutsideThePolicy_WhateverTheBrowserSends()
    {
        var policy = Policy(Catalog("openrouter-models-2026-08.json"), production: true);

        Assert.Null(await policy.ResolveAsync("anthropic/claude-opus-5", KeyKind.Operator));
        Assert.Null(await policy.ResolveAsync("openrouter/auto", KeyKind.Operator));
        Assert.Null(await policy.ResolveAsync("not/a-model", KeyKind.Operator));
        Assert.NotNull(await policy.ResolveAsync("meta-llama/llama-3.1-8b-instruct", KeyKind.Operator));
    }

    [Fact]
    public async Task WithTheModelLocked_OnlyTheDefaultIsUsed()
    {
        var policy = Policy(Catalog("openrouter-models-2026-08.json"), production: true, o => o.LockModel = true);

        var resolved = await policy.ResolveAsync("meta-llama/llama-3.1-8b-instruct", KeyKind.Operator);

        Assert.Equal("openai/gpt-3.5-turbo", resolved!.Id);
    }

    [Fact]
    public async Task WhenTheCatalogueCannotBeLoaded_ProductionFallsBackToTheAllowListAndDevelopmentToTheDefault()
    {
        var down = new ModelCatalogSnapshot([], false, DateTimeOffset.UtcNow, "The model list could not be loaded from OpenRouter: 503.");

        var production = await Policy(down, production: true).OfferAsync(KeyKind.Operator);
        var development = await Policy(down, production: false).OfferAsync(KeyKind.Operator);

        Assert.Equal(GuideAllowList, production.Models.Select(m => m.Id));
        Assert.All(production.Models, m => Assert.Equal(20m, m.Info.PromptPricePerMillion)); // budgeted at the assumed price
        Assert.Contains("could not be loaded", production.CatalogProblem);
        Assert.Equal(["google/gemini-2.0-flash-001"], development.Models.Select(m => m.Id));
    }
}
