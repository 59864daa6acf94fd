using AlipayFunctions.Testing;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>
/// Every test that runs the app shares one Azurite and runs one at a time: the app's queue names are fixed (they are
/// named in function.json), so each test starts from empty queues (see <see cref="TestApp"/>) and uses its own users.
/// </summary>
[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteTests : ICollectionFixture<AzuriteFixture>;
