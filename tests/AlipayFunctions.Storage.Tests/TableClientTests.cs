using AlipayFunctions.Storage.Tables;
using AlipayFunctions.Testing;
using Azure;

namespace AlipayFunctions.Storage.Tests;

[Collection(AzuriteFixture.CollectionName)]
public sealed class TableClientTests(AzuriteFixture azurite)
{
    private readonly TableServiceClient _service = new(StorageAccount.Parse(azurite.ConnectionString));

    private async Task<TableClient> NewTableAsync()
    {
        var table = _service.GetTableClient(azurite.NewTableName());
        await table.CreateIfNotExistsAsync();
        return table;
    }

    [Fact]
    public async Task Create_is_idempotent_and_a_missing_entity_reads_as_null()
    {
        var table = await NewTableAsync();
        await table.CreateIfNotExistsAsync();
        Assert.Null(await table.GetEntityAsync("user-1", "member"));
    }

    [Fact]
    public async Task A_missing_table_is_an_error_not_a_missing_entity()
    {
        var table = _service.GetTableClient(azurite.NewTableName("missing"));
        var error = await Assert.ThrowsAsync<StorageRequestException>(() => table.GetEntityAsync("p", "r"));
        Assert.True(error.IsNotFound);
        Assert.Equal("TableNotFound", error.ErrorCode);
    }

    [Fact]
    public async Task Every_property_type_round_trips()
    {
        var table = await NewTableAsync();
        var when = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(8)).AddTicks(1234567);
        var id = Guid.NewGuid();
        var entity = new TableEntity("user 'o' 1", "alipay:B-1 & co")
        {
            ["Name"] = "陳大文",
            ["Big"] = (1L << 53) + 1,
            ["Negative"] = long.MinValue,
            ["Small"] = 42,
            ["Flag"] = true,
            ["Ratio"] = 0.125,
            ["Whole"] = 3.0,
            ["NotANumber"] = double.NaN,
            ["When"] = when,
            ["Bytes"] = new byte[] { 0, 1, 2, 255 },
            ["Id"] = id,
        };

        var etag = await table.AddEntityAsync(entity);
        var read = await table.GetEntityAsync("user 'o' 1", "alipay:B-1 & co");

        Assert.NotNull(read);
        Assert.Equal(etag, read.ETag);
        Assert.NotNull(read.Timestamp);
        Assert.Equal("陳大文", read.GetString("Name"));
        Assert.Equal((1L << 53) + 1, read.GetInt64("Big"));
        Assert.IsType<long>(read["Big"]);
        Assert.Equal(long.MinValue, read.GetInt64("Negative"));
        Assert.IsType<int>(read["Small"]);
        Assert.Equal(42, read.GetInt32("Small"));
        Assert.True(read.GetBoolean("Flag"));
        Assert.Equal(0.125, read.GetDouble("Ratio"));
        Assert.IsType<double>(read["Whole"]);
        Assert.Equal(3.0, read.GetDouble("Whole"));
        Assert.True(double.IsNaN(read.GetDouble("NotANumber")!.Value));
        Assert.Equal(when, read.GetDateTimeOffset("When"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, read.GetBinary("Bytes"));
        Assert.Equal(id, read.GetGuid("Id"));
        Assert.Null(read.GetString("Absent"));
        Assert.Throws<InvalidOperationException>(() => read.GetString("Small"));
    }

    [Fact]
    public async Task Inserting_twice_is_a_conflict()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("u1", "bill:1") { ["Points"] = 10 });

        var error = await Assert.ThrowsAsync<StorageRequestException>(() => table.AddEntityAsync(new TableEntity("u1", "bill:1") { ["Points"] = 99 }));

        Assert.True(error.IsConflict);
        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
        Assert.Equal(10, (await table.GetEntityAsync("u1", "bill:1"))!.GetInt32("Points"));
    }

    [Fact]
    public async Task Two_writers_racing_with_if_match_exactly_one_wins()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("u1", "member") { ["Balance"] = 0L });
        var a = (await table.GetEntityAsync("u1", "member"))!;
        var b = (await table.GetEntityAsync("u1", "member"))!;
        a["Balance"] = 10L;
        b["Balance"] = 20L;

        var outcomes = await Task.WhenAll(
            Attempt(() => table.UpdateEntityAsync(a, a.ETag, TableUpdateMode.Merge)),
            Attempt(() => table.UpdateEntityAsync(b, b.ETag, TableUpdateMode.Merge)));

        Assert.Single(outcomes, o => o is null);
        var loser = Assert.Single(outcomes, o => o is not null)!;
        Assert.True(loser.IsPreconditionFailed);
        var stored = (await table.GetEntityAsync("u1", "member"))!.GetInt64("Balance");
        Assert.Contains(stored, new long?[] { 10, 20 });

        static async Task<StorageRequestException?> Attempt(Func<Task<ETag>> update)
        {
            try
            {
                await update();
                return null;
            }
            catch (StorageRequestException ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public async Task Merge_keeps_other_properties_replace_drops_them_and_etags_chain()
    {
        var table = await NewTableAsync();
        var entity = new TableEntity("u1", "member") { ["Balance"] = 5L, ["PassId"] = "p-1" };
        var first = await table.AddEntityAsync(entity);

        var patch = new TableEntity("u1", "member") { ["Balance"] = 6L };
        var second = await table.UpdateEntityAsync(patch, first, TableUpdateMode.Merge);
        Assert.NotEqual(first, second);
        var merged = (await table.GetEntityAsync("u1", "member"))!;
        Assert.Equal(6, merged.GetInt64("Balance"));
        Assert.Equal("p-1", merged.GetString("PassId"));

        // The old ETag no longer matches.
        var stale = await Assert.ThrowsAsync<StorageRequestException>(() => table.UpdateEntityAsync(patch, first, TableUpdateMode.Merge));
        Assert.True(stale.IsPreconditionFailed);

        await table.UpdateEntityAsync(new TableEntity("u1", "member") { ["Balance"] = 7L }, ETag.All, TableUpdateMode.Replace);
        var replaced = (await table.GetEntityAsync("u1", "member"))!;
        Assert.Equal(7, replaced.GetInt64("Balance"));
        Assert.Null(replaced["PassId"]);
    }

    [Fact]
    public async Task An_update_without_any_etag_is_refused_rather_than_made_unconditional()
    {
        var table = await NewTableAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => table.UpdateEntityAsync(new TableEntity("u", "r"), default, TableUpdateMode.Merge));
        await Assert.ThrowsAsync<ArgumentException>(() => table.DeleteEntityAsync("u", "r", default));
    }

    [Fact]
    public async Task Upsert_inserts_then_merges_and_delete_removes()
    {
        var table = await NewTableAsync();
        await table.UpsertEntityAsync(new TableEntity("u1", "token") { ["A"] = "1" }, TableUpdateMode.Merge);
        await table.UpsertEntityAsync(new TableEntity("u1", "token") { ["B"] = "2" }, TableUpdateMode.Merge);
        var both = (await table.GetEntityAsync("u1", "token"))!;
        Assert.Equal(("1", "2"), (both.GetString("A"), both.GetString("B")));

        await table.UpsertEntityAsync(new TableEntity("u1", "token") { ["C"] = "3" }, TableUpdateMode.Replace);
        Assert.Equal(["C"], (await table.GetEntityAsync("u1", "token"))!.Properties.Keys);

        var current = (await table.GetEntityAsync("u1", "token"))!;
        await table.DeleteEntityAsync("u1", "token", current.ETag);
        Assert.Null(await table.GetEntityAsync("u1", "token"));
        var gone = await Assert.ThrowsAsync<StorageRequestException>(() => table.DeleteEntityAsync("u1", "token", ETag.All));
        Assert.True(gone.IsNotFound);
    }

    [Fact]
    public async Task Query_follows_continuation_with_a_small_page_size()
    {
        var table = await NewTableAsync();
        for (var i = 0; i < 7; i++)
        {
            await table.AddEntityAsync(new TableEntity("u1", $"bill:{i:D2}") { ["N"] = i });
        }

        await table.AddEntityAsync(new TableEntity("u2", "bill:00") { ["N"] = 100 });

        var rows = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync(TableFilter.PartitionKeyEquals("u1"), pageSize: 2))
        {
            rows.Add(entity);
        }

        Assert.Equal(Enumerable.Range(0, 7), rows.Select(r => r.GetInt32("N")!.Value));
        Assert.All(rows, r => Assert.NotEqual(default, r.ETag));

        var all = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync(pageSize: 3))
        {
            all.Add(entity);
        }

        Assert.Equal(8, all.Count);
    }

    [Fact]
    public async Task Filter_literals_are_escaped()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("o'brien", "r") { ["X"] = 1 });
        await table.AddEntityAsync(new TableEntity("other", "r") { ["X"] = 2 });

        var found = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync(TableFilter.PartitionKeyEquals("o'brien")))
        {
            found.Add(entity);
        }

        Assert.Equal("o'brien", Assert.Single(found).PartitionKey);

        var none = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync(TableFilter.PartitionKeyEquals("x' or PartitionKey ne 'y")))
        {
            none.Add(entity);
        }

        Assert.Empty(none);
        Assert.Equal("'it''s'", TableFilter.Quote("it's"));
    }

    [Fact]
    public async Task Transaction_inserts_a_bill_and_merges_the_member_atomically()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("u1", "member") { ["Balance"] = 100L, ["BalanceVersion"] = 1L });
        var member = (await table.GetEntityAsync("u1", "member"))!;

        var results = await table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("u1", "bill:alipay:B-9") { ["Points"] = 25L }),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("u1", "member") { ["Balance"] = 125L, ["BalanceVersion"] = 2L }, member.ETag),
        ]);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.InRange(r.Status, 200, 299));
        var after = (await table.GetEntityAsync("u1", "member"))!;
        Assert.Equal(125, after.GetInt64("Balance"));
        Assert.Equal(results[1].ETag, after.ETag);
        Assert.Equal(25, (await table.GetEntityAsync("u1", "bill:alipay:B-9"))!.GetInt64("Points"));
    }

    [Fact]
    public async Task A_duplicate_insert_fails_the_whole_transaction_and_changes_nothing()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("u1", "member") { ["Balance"] = 100L });
        await table.AddEntityAsync(new TableEntity("u1", "bill:B-1") { ["Points"] = 5L });
        var member = (await table.GetEntityAsync("u1", "member"))!;

        var error = await Assert.ThrowsAsync<StorageRequestException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.UpsertMerge, new TableEntity("u1", "note") { ["Text"] = "x" }),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("u1", "member") { ["Balance"] = 105L }, member.ETag),
            new(TableTransactionActionType.Add, new TableEntity("u1", "bill:B-1") { ["Points"] = 5L }),
        ]));

        Assert.True(error.IsConflict);
        Assert.Equal(2, error.FailedOperationIndex);
        Assert.Equal(member.ETag, (await table.GetEntityAsync("u1", "member"))!.ETag);
        Assert.Equal(100, (await table.GetEntityAsync("u1", "member"))!.GetInt64("Balance"));
        Assert.Null(await table.GetEntityAsync("u1", "note"));
    }

    [Fact]
    public async Task A_stale_etag_fails_the_transaction_with_precondition_failed()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("u1", "member") { ["Balance"] = 1L });
        var member = (await table.GetEntityAsync("u1", "member"))!;
        await table.UpdateEntityAsync(new TableEntity("u1", "member") { ["Balance"] = 2L }, member.ETag, TableUpdateMode.Merge);

        var error = await Assert.ThrowsAsync<StorageRequestException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("u1", "bill:B-2")),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("u1", "member") { ["Balance"] = 3L }, member.ETag),
        ]));

        Assert.True(error.IsPreconditionFailed);
        Assert.Equal(1, error.FailedOperationIndex);
        Assert.Null(await table.GetEntityAsync("u1", "bill:B-2"));
    }

    [Fact]
    public async Task Transactions_over_100_actions_or_two_partitions_are_rejected_before_sending()
    {
        // The table does not exist: anything sent would fail with 404, not ArgumentException.
        var table = _service.GetTableClient(azurite.NewTableName("never"));
        var tooMany = Enumerable.Range(0, 101).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("u1", $"r{i}")));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync(tooMany));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("u1", "a")),
            new(TableTransactionActionType.Add, new TableEntity("u2", "a")),
        ]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("u1", "a")),
            new(TableTransactionActionType.Delete, new TableEntity("u1", "a"), ETag.All),
        ]));
    }

    [Fact]
    public async Task A_full_transaction_of_100_actions_commits()
    {
        var table = await NewTableAsync();
        var results = await table.SubmitTransactionAsync(
            Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("u1", $"r{i:D3}") { ["I"] = i })));
        Assert.Equal(100, results.Count);
        var count = 0;
        await foreach (var _ in table.QueryAsync(TableFilter.PartitionKeyEquals("u1")))
        {
            count++;
        }

        Assert.Equal(100, count);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\tb")]
    [InlineData("a\u007fb")]
    public void Keys_with_forbidden_characters_are_rejected(string key)
    {
        var error = Assert.Throws<ArgumentException>(() => new TableEntity(key, "r"));
        Assert.Contains("may not contain", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TableEntity("p", key));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("1abc")]
    [InlineData("with-dash")]
    [InlineData("Tables")]
    public void Invalid_table_names_are_rejected(string name) =>
        Assert.Throws<ArgumentException>(() => _service.GetTableClient(name));

    [Fact]
    public void Unsupported_property_types_and_reserved_names_are_rejected()
    {
        var entity = new TableEntity("p", "r");
        Assert.Throws<ArgumentException>(() => entity["Price"] = 1.5m);
        Assert.Throws<ArgumentException>(() => entity["Local"] = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Local));
        Assert.Throws<ArgumentException>(() => entity["RowKey"] = "x");
        Assert.Throws<ArgumentException>(() => entity["odata.etag"] = "x");
        entity["Gone"] = "x";
        entity["Gone"] = null;
        Assert.Empty(entity.Properties);
    }
}
