namespace Broker.Entities;

/// <summary>
/// Striped locks by tenant and entity id: writers of the same entity in this process take turns instead of racing
/// and retrying. Different entities rarely share a stripe.
/// </summary>
public sealed class EntityLocks
{
    private const int Stripes = 1024;
    private readonly SemaphoreSlim[] _stripes = CreateStripes();

    private static SemaphoreSlim[] CreateStripes()
    {
        var stripes = new SemaphoreSlim[Stripes];
        for (var i = 0; i < stripes.Length; i++)
            stripes[i] = new SemaphoreSlim(1, 1);
        return stripes;
    }

    public async ValueTask<Releaser> EnterAsync(string tenant, string id, CancellationToken ct)
    {
        var stripe = _stripes[(uint)HashCode.Combine(StringComparer.Ordinal.GetHashCode(tenant), StringComparer.Ordinal.GetHashCode(id)) % Stripes];
        await stripe.WaitAsync(ct).ConfigureAwait(false);
        return new Releaser(stripe);
    }

    public readonly struct Releaser(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
