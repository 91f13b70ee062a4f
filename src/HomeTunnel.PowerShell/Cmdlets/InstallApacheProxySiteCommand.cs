using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.Apache;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Enables the modules a site needs, writes sites-available/&lt;name&gt;.conf, a2ensite, configtest and a
/// graceful reload; on any failure the previous files and enabled state come back byte for byte. All
/// sites piped in go to each host in one call, with one configtest and one reload.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "ApacheProxySite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HostChangeResult), typeof(ApacheProxySite))]
public sealed class InstallApacheProxySiteCommand : HostChangeCommand
{
    private readonly List<ApacheProxySite> _sites = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public ApacheProxySite[] InputObject { get; set; } = System.Array.Empty<ApacheProxySite>();

    protected override void Process() => _sites.AddRange(InputObject);

    protected override void End()
    {
        var duplicate = _sites.GroupBy(s => s.FileName).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw HomeTunnelException.Invalid("DuplicateSite", $"Site '{duplicate.Key}' is given {duplicate.Count()} times; nothing was changed.", duplicate.Key);
        }
        if (_sites.Count == 0)
        {
            return;
        }
        ApacheProxySite[] sites = _sites.ToArray();
        foreach (ApacheProxySite site in sites)
        {
            site.EnsureInstallable();
        }
        // Test-TunnelConfig's site checks, before any host: two sites answering one name take one down.
        var error = WireGuard.TunnelConfigChecker.Check(System.Array.Empty<WireGuard.TunnelPeer>(), System.Array.Empty<WireGuard.WireGuardConfig>(), sites)
            .FirstOrDefault(f => f.Severity == WireGuard.FindingSeverity.Error);
        if (error is not null)
        {
            throw new HomeTunnelException(error.Check, ErrorKind.InvalidData, error.Message + " Nothing was changed.", error.Target);
        }
        string names = string.Join(", ", sites.Select(s => s.ServerName));
        RunOnHosts(HostChange.Apache(sites, uninstall: false, $"Install Apache proxy site(s) {names}"), sites.Length == 1 ? sites[0] : sites);
    }
}
