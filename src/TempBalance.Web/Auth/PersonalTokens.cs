using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TempBalance.Web.Data;

namespace TempBalance.Web.Auth;

/// <summary>A token as the account page lists it; the secret itself is shown once, when it is created.</summary>
public sealed record PersonalTokenView(long Id, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt);

/// <summary>
/// Personal API tokens: "tbp_" and 32 random bytes (base64url), sent as Authorization: Bearer to /api and the hub.
/// Only a SHA-256 hash is stored: the tokens are long random secrets, so a fast hash cannot be reversed by
/// guessing, and a lookup by hash needs no per-row salt.
/// </summary>
public sealed class PersonalTokens(IDbContextFactory<TempBalanceDbContext> dbFactory, TimeProvider time)
{
    public const string Prefix = "tbp_";
    public const int MaxNameLength = 100;

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Creates a token for the user and returns its secret, which is not stored and cannot be shown again.</summary>
    public async Task<(PersonalTokenView Token, string Secret)> CreateAsync(string userId, string name, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > MaxNameLength) throw new ArgumentException($"A token's name has 1 to {MaxNameLength} characters.", nameof(name));
        var secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var row = new ApiToken
        {
            UserId = userId,
            Name = name,
            TokenHash = Hash(secret),
            DisplayPrefix = secret[..(Prefix.Length + 6)],
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.ApiTokens.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return (View(row), secret);
    }

    public async Task<IReadOnlyList<PersonalTokenView>> ListAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.ApiTokens.AsNoTracking().Where(t => t.UserId == userId).OrderByDescending(t => t.Id).ToListAsync(cancellationToken);
        return rows.Select(View).ToList();
    }

    /// <summary>Revokes one of the user's tokens; false when the user has no such token.</summary>
    public async Task<bool> RevokeAsync(string userId, long tokenId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ApiTokens.Where(t => t.Id == tokenId && t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken) > 0;
    }

    /// <summary>The user id a presented token belongs to, or null when it is unknown or revoked. Notes when it was last used (at most once a minute).</summary>
    public async Task<string?> FindUserAsync(string token, CancellationToken cancellationToken = default)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var hash = Hash(token);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.ApiTokens.AsNoTracking().Where(t => t.TokenHash == hash && t.RevokedAt == null)
            .Select(t => new { t.Id, t.UserId, t.LastUsedAt }).FirstOrDefaultAsync(cancellationToken);
        if (row is null) return null;
        var now = time.GetUtcNow().UtcDateTime;
        if (row.LastUsedAt is null || row.LastUsedAt < now.AddMinutes(-1))
            await db.ApiTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), cancellationToken);
        return row.UserId;
    }

    static PersonalTokenView View(ApiToken t) => new(t.Id, t.Name, t.DisplayPrefix, t.CreatedAt, t.LastUsedAt, t.RevokedAt);

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
