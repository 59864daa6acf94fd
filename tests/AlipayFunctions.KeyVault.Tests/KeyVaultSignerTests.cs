using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using System.Text;
using AlipayHK.OpenApi.Signing;
using Azure.Core.Diagnostics;
using Azure.Identity;

namespace AlipayFunctions.KeyVault.Tests;

public sealed class KeyVaultSignerTests : IAsyncLifetime
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes(
        "POST /v1/pass/updatePass\n2022091234567890.2026-05-01T12:00:00+08:00.{\"passId\":\"P1\",\"points\":125}");

    private readonly FakeCredential _credential = new();
    private KeyVaultTestServer _vault = null!;

    public async Task InitializeAsync() => _vault = await KeyVaultTestServer.StartAsync();

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    [Fact]
    public async Task Signature_verifies_with_the_vault_key_and_equals_the_local_PEM_signature()
    {
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        var signature = await signer.SignAsync(Data);

        Assert.True(_vault.Key.VerifyData(Data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        using var pem = new PemAlipaySigner(_vault.Key.ExportPkcs8PrivateKeyPem());
        Assert.Equal(await pem.SignAsync(Data), signature);
        Assert.Equal(1, signer.SignaturesMade);
        var request = Assert.Single(_vault.Log);
        Assert.Equal($"/keys/{KeyVaultTestServer.KeyName}/sign", request.Path);
    }

    [Fact]
    public async Task The_CryptographyClient_shaped_digest_sign_returns_the_signature_and_the_full_key_id()
    {
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());
        var digest = SHA256.HashData(Data);

        var result = await signer.SignAsync(SignatureAlgorithm.RS256, digest);

        Assert.True(_vault.Key.VerifyHash(digest, result.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(await signer.SignAsync(Data), result.Signature);
        Assert.Equal(SignatureAlgorithm.RS256, result.Algorithm);
        Assert.StartsWith(_vault.KeyId().AbsoluteUri + "/", result.KeyId, StringComparison.Ordinal); // with the version Key Vault used
        await Assert.ThrowsAsync<ArgumentException>(() => signer.SignAsync(new SignatureAlgorithm("PS256"), digest));
        await Assert.ThrowsAsync<ArgumentException>(() => signer.SignAsync(SignatureAlgorithm.RS256, Data));
        Assert.Equal(2, signer.SignaturesMade);
    }

    [Fact]
    public async Task Versionless_key_id_records_the_version_Key_Vault_signed_with()
    {
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());
        Assert.Null(signer.KeyVersion);
        Assert.Null(signer.LastKeyVersion);

        await signer.SignAsync(Data);

        Assert.Equal(_vault.CurrentVersion, signer.LastKeyVersion);
    }

    [Fact]
    public async Task Pinned_version_is_used_in_the_sign_URL()
    {
        var signer = new KeyVaultSigner(_vault.KeyId(versioned: true), _credential, _vault.Options());

        var signature = await signer.SignAsync(Data);

        Assert.True(_vault.Key.VerifyData(Data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal($"/keys/{KeyVaultTestServer.KeyName}/{_vault.CurrentVersion}/sign", Assert.Single(_vault.Log).Path);
        Assert.Equal(_vault.CurrentVersion, signer.KeyVersion);
    }

    [Fact]
    public async Task A_kid_of_another_key_is_rejected()
    {
        _vault.KidOverride = $"https://{KeyVaultTestServer.VaultHost}/keys/some-other-key/{_vault.CurrentVersion}";
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        var error = await Assert.ThrowsAsync<KeyVaultException>(async () => await signer.SignAsync(Data));

        Assert.Contains("some-other-key", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, signer.SignaturesMade);
        Assert.Null(signer.LastKeyVersion);
    }

    [Fact]
    public async Task A_pinned_key_answered_with_another_version_is_rejected()
    {
        _vault.KidOverride = $"https://{KeyVaultTestServer.VaultHost}/keys/{KeyVaultTestServer.KeyName}/{new string('0', 32)}";
        var signer = new KeyVaultSigner(_vault.KeyId(versioned: true), _credential, _vault.Options());

        await Assert.ThrowsAsync<KeyVaultException>(async () => await signer.SignAsync(Data));
    }

    [Fact]
    public async Task Pipeline_logs_carry_neither_the_token_nor_the_digest_nor_the_signature()
    {
        var lines = new ConcurrentQueue<string>();
        using var listener = new AzureEventSourceListener((_, line) => lines.Enqueue(line), EventLevel.Verbose);
        var options = _vault.Options();
        options.Diagnostics.IsLoggingEnabled = true;
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, options);

        var signature = await signer.SignAsync(Data);

        var secrets = new[]
        {
            _vault.RequiredToken,
            Base64Url.EncodeToString(SHA256.HashData(Data)),
            Base64Url.EncodeToString(signature),
            Convert.ToBase64String(signature),
        };
        Assert.Contains(lines, line => line.Contains("api-version=7.4", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => secrets.Any(secret => line.Contains(secret, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Public_key_is_the_vault_keys_public_half()
    {
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        using var publicKey = await signer.GetPublicKeyAsync();
        var base64 = await signer.GetPublicKeyBase64Async();

        var expected = _vault.Key.ExportSubjectPublicKeyInfo();
        Assert.Equal(expected, publicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(Convert.ToBase64String(expected), base64);
        Assert.All(_vault.Log, entry => Assert.Equal("GET", entry.Method));
    }

    [Fact]
    public async Task The_token_is_asked_for_the_vault_scope_up_front()
    {
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        await signer.SignAsync(Data);

        Assert.Equal(0, _vault.Unauthorized);
        var context = Assert.Single(_credential.Requests);
        Assert.Equal([KeyVaultTestServer.VaultScope], context.Scopes);
    }

    [Fact]
    public async Task A_401_challenge_gets_a_token_for_the_tenant_it_names_and_later_calls_reuse_it()
    {
        _vault.RequiredToken = FakeCredential.TokenFor(KeyVaultTestServer.VaultScope, "tenant-1");
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        var first = await signer.SignAsync(Data);
        var second = await signer.SignAsync(Data);

        Assert.True(_vault.Key.VerifyData(Data, first, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(first, second);
        Assert.Equal(1, _vault.Unauthorized);
        Assert.Equal(3, _vault.Requests);
        Assert.Equal([null, "tenant-1"], _credential.Requests.Select(r => r.TenantId).Distinct());
    }

    [Fact]
    public async Task A_challenge_naming_a_foreign_resource_is_refused()
    {
        _vault.RequiredToken = "never";
        _vault.Challenge = """Bearer authorization="https://login.microsoftonline.com/tenant-1", resource="https://attacker.example.net" """;
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        var error = await Assert.ThrowsAsync<KeyVaultException>(async () => await signer.SignAsync(Data));

        Assert.Equal(401, error.Status);
        Assert.Equal("Unauthorized", error.ErrorCode);
        Assert.DoesNotContain(_credential.Requests, r => r.Scopes.Any(s => s.Contains("attacker", StringComparison.Ordinal)));
        Assert.Equal(1, _vault.Requests);
    }

    [Fact]
    public async Task A_failing_credential_gives_a_clear_KeyVaultException_and_sends_nothing()
    {
        _credential.Failure = new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable.");
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        var error = await Assert.ThrowsAsync<KeyVaultException>(async () => await signer.SignAsync(Data));

        Assert.IsType<CredentialUnavailableException>(error.InnerException);
        Assert.Contains("could not get a token", error.Message, StringComparison.Ordinal);
        Assert.Contains(KeyVaultTestServer.VaultScope, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Status);
        Assert.Equal(0, _vault.Requests);
        Assert.Single(_credential.Requests); // not retried as if it were a network failure
    }

    [Fact]
    public async Task Throttling_is_retried_after_the_Retry_After_delay()
    {
        _vault.Faults.Enqueue((429, "Throttled", "1"));
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        var signature = await signer.SignAsync(Data);

        Assert.True(_vault.Key.VerifyData(Data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(2, _vault.Requests);
        // Retry-After is 1 s while the test's own backoff is at most 50 ms: the gap proves the header was honoured.
        var log = _vault.Log.ToArray();
        Assert.True(log[1].At - log[0].At >= TimeSpan.FromSeconds(0.9), $"retried after {(log[1].At - log[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Server_errors_are_retried_a_bounded_number_of_times_then_reported()
    {
        for (var i = 0; i < 5; i++)
        {
            _vault.Faults.Enqueue((500, "InternalServerError", null));
        }
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options(maxRetries: 3));

        var error = await Assert.ThrowsAsync<KeyVaultException>(async () => await signer.SignAsync(Data));

        Assert.Equal(4, _vault.Requests);
        Assert.Equal(500, error.Status);
        Assert.Equal("InternalServerError", error.ErrorCode);
        Assert.Equal(_vault.Log.Last().RequestId, error.RequestId);
        Assert.Equal(0, signer.SignaturesMade);
    }

    [Fact]
    public async Task Forbidden_is_reported_at_once_with_the_service_error_code()
    {
        _vault.Faults.Enqueue((403, "Forbidden", null));
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());

        var error = await Assert.ThrowsAsync<KeyVaultException>(async () => await signer.SignAsync(Data));

        Assert.Equal(1, _vault.Requests);
        Assert.Equal(403, error.Status);
        Assert.Equal("Forbidden", error.ErrorCode);
        Assert.Equal(Assert.Single(_vault.Log).RequestId, error.RequestId);
    }

    [Fact]
    public async Task A_silent_vault_times_out_each_attempt_and_is_reported_without_a_status()
    {
        var options = _vault.Options(maxRetries: 1);
        options.NetworkTimeout = TimeSpan.FromSeconds(1);
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, options);
        await signer.SignAsync(Data); // a warm connection, so that each timed-out attempt is one the vault saw
        _vault.Delay = TimeSpan.FromSeconds(30);

        var error = await Assert.ThrowsAsync<KeyVaultException>(async () => await signer.SignAsync(Data));

        Assert.Equal(0, error.Status);
        Assert.Contains("got no answer", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.InnerException);
        Assert.Equal(3, _vault.Requests);
        Assert.Equal(1, signer.SignaturesMade);
    }

    [Fact]
    public async Task Concurrent_calls_never_exceed_the_bound()
    {
        _vault.Delay = TimeSpan.FromMilliseconds(30);
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options(maxConcurrency: 2));

        var signatures = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => signer.SignAsync(Encoding.UTF8.GetBytes($"message {i}")).AsTask()));

        Assert.Equal(2, _vault.MaxInFlight);
        Assert.Equal(10, _vault.Requests);
        Assert.Equal(10, signer.SignaturesMade);
        for (var i = 0; i < signatures.Length; i++)
        {
            Assert.True(_vault.Key.VerifyData(Encoding.UTF8.GetBytes($"message {i}"), signatures[i], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
    }

    [Fact]
    public async Task Cancellation_stops_a_call_waiting_for_a_slot()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _vault.Gate = gate.Task;
        var options = _vault.Options(maxConcurrency: 1);
        // The first call is held at the gate for the whole test: on a starved machine that can outlast the default 10 s
        // network timeout, whose retry would be a second request that has nothing to do with the slot under test.
        options.NetworkTimeout = TimeSpan.FromMinutes(5);
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, options);
        var first = signer.SignAsync(Data).AsTask();
        await _vault.WaitForInFlightAsync(1);

        using var cancel = new CancellationTokenSource();
        var waiting = signer.SignAsync(Data, cancel.Token).AsTask();
        // Long enough for an unbounded signer to reach the vault (not a timing assert: the count must stay 1).
        await Task.Delay(200);
        Assert.Equal(1, _vault.Requests);
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, _vault.Requests);
        gate.SetResult();
        await first;
        Assert.Equal(1, _vault.Requests);
    }

    [Fact]
    public async Task Cancellation_stops_a_call_in_flight_and_frees_its_slot()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _vault.Gate = gate.Task;
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options(maxConcurrency: 1));
        using var cancel = new CancellationTokenSource();
        var call = signer.SignAsync(Data, cancel.Token).AsTask();
        await _vault.WaitForInFlightAsync(1);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        gate.SetResult();
        var signature = await signer.SignAsync(Data);
        Assert.True(_vault.Key.VerifyData(Data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(1, signer.SignaturesMade);
    }

    [Fact]
    public async Task A_message_signed_through_Key_Vault_verifies_with_the_public_key_Key_Vault_exports()
    {
        var signer = new KeyVaultSigner(_vault.KeyId(), _credential, _vault.Options());
        var messages = new AlipayMessageSigner(signer, "2022091234567890", "1");
        var body = Encoding.UTF8.GetBytes("""{"passId":"P1","points":125}""");

        var signed = await messages.SignAsync("/v1/pass/updatePass", body);
        using var verifier = new AlipaySignatureVerifier(await signer.GetPublicKeyBase64Async());

        Assert.Equal(SignatureRejection.None, verifier.Verify("POST", "/v1/pass/updatePass", signed.ClientId, signed.Time, body, signed.Signature));
        Assert.Equal(SignatureRejection.InvalidSignature, verifier.Verify("POST", "/v1/pass/updatePass", signed.ClientId, signed.Time, body.AsSpan(1), signed.Signature));
    }
}
