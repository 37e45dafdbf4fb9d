using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SpecAI.Extensions.Hosting.Security;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> against the configured keys in constant time: the sent token and every key
/// are hashed to 32 bytes and every key is compared, so neither the key's length nor which key matched nor whether a
/// token was sent at all shows in the time taken.
/// </summary>
internal sealed class ApiKeyCheck
{
    private readonly byte[][] _keyHashes;

    /// <summary>Hashes the keys once (blank entries are ignored).</summary>
    public ApiKeyCheck(IEnumerable<string> keys)
        => _keyHashes = keys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => Hash(k.Trim())).ToArray();

    /// <summary>Whether any key is configured.</summary>
    public bool Enabled => _keyHashes.Length > 0;

    /// <summary>Whether the request carries one of the keys.</summary>
    public bool IsAuthorized(HttpRequest request)
    {
        // A missing header hashes the empty token and walks the same comparisons as a wrong one.
        byte[] sent = Hash(BearerToken(request.Headers.Authorization.ToString()));
        bool match = false;
        foreach (byte[] key in _keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(sent, key);
        }

        return match;
    }

    private static string BearerToken(string header)
        => header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : string.Empty;

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
