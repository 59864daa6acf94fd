using AlipayFunctions.Testing;

namespace AlipayFunctions.Storage.Tests;

/// <summary>One Azurite for the whole test assembly.</summary>
[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteTests : ICollectionFixture<AzuriteFixture>;
