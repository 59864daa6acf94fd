using System.Diagnostics.CodeAnalysis;
using Xunit;

namespace AlipayFunctions.Testing;

/// <summary>
/// One Azurite shared by the tests of an assembly. In the test project declare
/// <c>[CollectionDefinition(AzuriteFixture.CollectionName)] public sealed class AzuriteTests : ICollectionFixture&lt;AzuriteFixture&gt;;</c>
/// and mark test classes <c>[Collection(AzuriteFixture.CollectionName)]</c>; take the fixture in the constructor and use
/// <see cref="NewQueueName"/> / <see cref="NewTableName"/> so tests never share a queue or table.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>The collection name test classes use.</summary>
    public const string CollectionName = "Azurite";

    private AzuriteProcess? _azurite;

    /// <summary>The running Azurite.</summary>
    public AzuriteProcess Azurite => _azurite ?? throw new InvalidOperationException("Azurite has not started.");

    /// <summary>A connection string with explicit endpoints and the development account key.</summary>
    public string ConnectionString => Azurite.ConnectionString;

    /// <summary>Queue service endpoint.</summary>
    public Uri QueueEndpoint => Azurite.QueueEndpoint;

    /// <summary>Table service endpoint.</summary>
    public Uri TableEndpoint => Azurite.TableEndpoint;

    /// <summary>A queue name no other test uses.</summary>
    [SuppressMessage("Performance", "CA1822", Justification = "Tests call it on their fixture.")]
    public string NewQueueName(string prefix = "q") => AzuriteProcess.NewQueueName(prefix);

    /// <summary>A table name no other test uses.</summary>
    [SuppressMessage("Performance", "CA1822", Justification = "Tests call it on their fixture.")]
    public string NewTableName(string prefix = "t") => AzuriteProcess.NewTableName(prefix);

    /// <inheritdoc />
    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync().ConfigureAwait(false);
        }
    }
}
