using System.Text;
using AlipayFunctions.Storage.Queues;
using AlipayFunctions.Testing;

namespace AlipayFunctions.Storage.Tests;

[Collection(AzuriteFixture.CollectionName)]
public sealed class QueueClientTests(AzuriteFixture azurite)
{
    private readonly QueueServiceClient _service = new(StorageAccount.Parse(azurite.ConnectionString));

    private async Task<QueueClient> NewQueueAsync()
    {
        var queue = _service.GetQueueClient(azurite.NewQueueName());
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    [Fact]
    public async Task Create_is_idempotent()
    {
        var queue = await NewQueueAsync();
        await queue.CreateIfNotExistsAsync();
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync());
    }

    [Fact]
    public async Task Sent_text_is_base64_of_utf8_on_the_wire_and_decodes_back()
    {
        var queue = await NewQueueAsync();
        const string text = "{\"billNo\":\"B-1\",\"store\":\"銅鑼灣 & <Causeway>\"}";

        var receipt = await queue.SendMessageAsync(text);

        var peeked = Assert.Single(await queue.PeekMessagesAsync(32));
        Assert.Equal(receipt.MessageId, peeked.MessageId);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), peeked.MessageText);
        Assert.Equal(text, peeked.Body);
        Assert.Equal(0, peeked.DequeueCount);
    }

    [Fact]
    public async Task Raw_text_put_by_another_producer_has_no_body()
    {
        var queue = await NewQueueAsync();
        const string raw = "not base64 <at all> & more";
        await PutRawAsync(queue.Name, raw);

        var message = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(raw, message.MessageText);
        Assert.Null(message.Body);
    }

    [Fact]
    public async Task Receive_hides_the_message_and_delete_removes_it()
    {
        var queue = await NewQueueAsync();
        await queue.SendMessageAsync("one");

        var message = Assert.Single(await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30)));
        Assert.Equal("one", message.Body);
        Assert.Equal(1, message.DequeueCount);
        Assert.True(message.NextVisibleTime > message.InsertionTime);
        Assert.Empty(await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30)));

        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        Assert.Empty(await queue.PeekMessagesAsync(32));
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync());
    }

    [Fact]
    public async Task A_message_whose_visibility_timeout_ends_reappears_with_dequeue_count_two()
    {
        var queue = await NewQueueAsync();
        await queue.SendMessageAsync("retry me");
        var first = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1)));

        // The worker "crashed": nothing deletes it. Poll (bounded) until the service shows it again.
        IReadOnlyList<QueueMessage> again = [];
        for (var attempt = 0; attempt < 50 && again.Count == 0; attempt++)
        {
            await Task.Delay(200);
            again = await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30));
        }

        var second = Assert.Single(again);
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(2, second.DequeueCount);
        Assert.NotEqual(first.PopReceipt, second.PopReceipt);
    }

    [Fact]
    public async Task Update_visibility_returns_a_new_receipt_and_the_old_one_stops_working()
    {
        var queue = await NewQueueAsync();
        await queue.SendMessageAsync("update me");
        var message = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30)));

        var update = await queue.UpdateVisibilityAsync(message.MessageId, message.PopReceipt, TimeSpan.Zero);
        Assert.NotEqual(message.PopReceipt, update.PopReceipt);

        var stale = await Assert.ThrowsAsync<StorageRequestException>(() => queue.DeleteMessageAsync(message.MessageId, message.PopReceipt));
        Assert.True(stale.Status is 400 or 404, $"status {stale.Status}");

        var again = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(message.MessageId, again.MessageId);
        Assert.Equal(2, again.DequeueCount);
        await queue.DeleteMessageAsync(again.MessageId, again.PopReceipt);
    }

    [Fact]
    public async Task Visibility_delay_hides_a_new_message_and_ttl_never_means_no_expiry()
    {
        var queue = await NewQueueAsync();
        var delayed = await queue.SendMessageAsync("later", visibilityDelay: TimeSpan.FromMinutes(5));
        var forever = await queue.SendMessageAsync("forever", timeToLive: TimeSpan.MaxValue);
        var week = await queue.SendMessageAsync("default ttl");

        Assert.True(delayed.NextVisibleTime >= delayed.InsertionTime.AddMinutes(4));
        Assert.Equal(9999, forever.ExpirationTime.Year);
        Assert.Equal(TimeSpan.FromDays(7), week.ExpirationTime - week.InsertionTime);
        var visible = await queue.PeekMessagesAsync(32);
        Assert.Equal(["forever", "default ttl"], visible.Select(m => m.Body));
        Assert.Equal(3, await queue.GetApproximateMessageCountAsync());
    }

    [Fact]
    public async Task Clear_removes_every_message()
    {
        var queue = await NewQueueAsync();
        for (var i = 0; i < 5; i++)
        {
            await queue.SendMessageAsync($"m{i}");
        }

        Assert.Equal(5, await queue.GetApproximateMessageCountAsync());
        Assert.Equal(5, (await queue.ReceiveMessagesAsync(5, TimeSpan.FromSeconds(1))).Count);
        await queue.ClearAsync();
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync());
    }

    [Fact]
    public async Task Move_to_poison_copies_the_wire_text_unchanged_and_deletes_the_original()
    {
        var queue = await NewQueueAsync();
        const string raw = "corrupt <payload> & 'quotes'";
        await PutRawAsync(queue.Name, raw);
        var message = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30)));

        await queue.MoveToPoisonAsync(message);

        var poison = _service.GetQueueClient(queue.Name + "-poison");
        var copied = Assert.Single(await poison.PeekMessagesAsync(32));
        Assert.Equal(raw, copied.MessageText);
        Assert.Equal(9999, copied.ExpirationTime.Year);
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync());

        // A second poison message reuses the now existing poison queue.
        await queue.SendMessageAsync("{\"ok\":false}");
        await queue.MoveToPoisonAsync(Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30))));
        Assert.Equal(["{\"ok\":false}"], (await poison.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Select(m => m.Body).Where(b => b is not null));
    }

    [Fact]
    public async Task A_missing_queue_fails_with_the_service_code()
    {
        var queue = _service.GetQueueClient(azurite.NewQueueName("missing"));
        var error = await Assert.ThrowsAsync<StorageRequestException>(() => queue.SendMessageAsync("x"));
        Assert.True(error.IsNotFound);
        Assert.Equal("QueueNotFound", error.ErrorCode);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper")]
    [InlineData("-lead")]
    [InlineData("trail-")]
    [InlineData("dou--ble")]
    [InlineData("under_score")]
    public void Invalid_queue_names_are_rejected(string name) =>
        Assert.Throws<ArgumentException>(() => _service.GetQueueClient(name));

    [Fact]
    public async Task Bad_arguments_are_rejected_before_any_request()
    {
        // The queue does not exist: a request would fail with 404 instead.
        var queue = _service.GetQueueClient(azurite.NewQueueName("never"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveMessagesAsync(0, TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveMessagesAsync(33, TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveMessagesAsync(1, TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.PeekMessagesAsync(33));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.SendMessageAsync("x", timeToLive: TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.SendMessageAsync("x", visibilityDelay: TimeSpan.FromDays(8)));
        var tooBig = new string('x', (QueueClient.MaxMessageTextLength / 4 * 3) + 1);
        await Assert.ThrowsAsync<ArgumentException>(() => queue.SendMessageAsync(tooBig));
    }

    [Fact]
    public async Task The_largest_message_fits()
    {
        var queue = await NewQueueAsync();
        var largest = new string('x', QueueClient.MaxMessageTextLength / 4 * 3);
        await queue.SendMessageAsync(largest);
        Assert.Equal(largest, Assert.Single(await queue.PeekMessagesAsync(1)).Body);
    }

    private async Task PutRawAsync(string queueName, string wireText)
    {
        using var http = new HttpClient();
        var bare = new BareStorageRequests(azurite.Azurite);
        using var request = bare.Queue(HttpMethod.Post, $"{queueName}/messages", BareStorageRequests.PutMessageBody(wireText));
        using var response = await http.SendAsync(request);
        Assert.Equal(201, (int)response.StatusCode);
    }
}
