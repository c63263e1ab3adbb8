using CoScientist.Core.Storage;
using CoScientist.Tests.Core;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.Distributed;

// The embedded storage's behaviour tests, run again with the ledger and the research in PostgreSQL.

public sealed class PostgresResearchStoreTests : ResearchStoreTests
{
    protected override Task<string> NewPlaceAsync() => PostgresStorage.NewDatabaseAsync();

    protected override IResearchStore OpenStore(string place) => PostgresStorage.Store(place);
}

public sealed class PostgresResearchRetentionTests : ResearchRetentionTests
{
    protected override async Task<IResearchStore> NewStoreAsync() => PostgresStorage.Store(await PostgresStorage.NewDatabaseAsync());
}

public sealed class PostgresSpendCapTests : SpendCapTests
{
    protected override async Task<string?> NewPostgresDatabaseAsync() => await PostgresStorage.NewDatabaseAsync();
}

public sealed class PostgresHourlyLimitTests : HourlyLimitBehaviour
{
    protected override async Task<string?> NewPostgresDatabaseAsync() => await PostgresStorage.NewDatabaseAsync();
}
