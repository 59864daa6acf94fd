using System.Security.Cryptography;

namespace AlipayHK.OpenApi.Signing;

/// <summary>Loads the RSA keys the protocol uses from the forms AlipayHK's portal and merchants exchange.</summary>
public static class RsaKeys
{
    /// <summary>
    /// Loads a public key from PEM (<c>PUBLIC KEY</c> or <c>RSA PUBLIC KEY</c>) or from the bare base64
    /// SubjectPublicKeyInfo that AlipayHK's portal shows.
    /// </summary>
    /// <exception cref="FormatException">The text is neither form.</exception>
    public static RSA ImportPublicKey(string pemOrBase64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pemOrBase64);
        var rsa = RSA.Create();
        try
        {
            var text = pemOrBase64.Trim();
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                rsa.ImportFromPem(text);
            }
            else
            {
                rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(RemoveWhitespace(text)), out _);
            }
            return rsa;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            rsa.Dispose();
            throw new FormatException("The public key is neither a PEM public key nor base64 SubjectPublicKeyInfo.", e);
        }
    }

    /// <summary>Loads a private key from PEM: PKCS#8 (<c>PRIVATE KEY</c>) or PKCS#1 (<c>RSA PRIVATE KEY</c>).</summary>
    /// <exception cref="FormatException">The text holds no unencrypted RSA private key.</exception>
    public static RSA ImportPrivateKey(string pem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pem);
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            // ImportFromPem also accepts public keys; a signer needs the private half.
            _ = rsa.ExportParameters(includePrivateParameters: true);
            return rsa;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            throw new FormatException("The text holds no unencrypted PKCS#8 or PKCS#1 RSA private key.", e);
        }
    }

    /// <summary>The public key as the bare base64 SubjectPublicKeyInfo that AlipayHK's portal takes.</summary>
    public static string ExportPublicKeyBase64(RSA rsa)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        return Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
    }

    private static string RemoveWhitespace(string text) =>
        string.Create(text.Length - text.Count(char.IsWhiteSpace), text, static (span, source) =>
        {
            var i = 0;
            foreach (var c in source)
            {
                if (!char.IsWhiteSpace(c))
                {
                    span[i++] = c;
                }
            }
        });
}
