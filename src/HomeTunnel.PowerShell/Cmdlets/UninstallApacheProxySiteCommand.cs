using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.Apache;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>a2dissite and remove a site's file, with configtest and a graceful reload (rolled back on failure).</summary>
[Cmdlet(VerbsLifecycle.Uninstall, "ApacheProxySite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(HostChangeResult))]
public sealed class UninstallApacheProxySiteCommand : HostChangeCommand
{
    private readonly List<string> _names = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SiteNameCompleter))]
    public string[] ServerName { get; set; } = System.Array.Empty<string>();

    protected override void Process() => _names.AddRange(ServerName.Select(n => DnsName.Normalize(n, "ServerName", "ServerName")));

    protected override void End()
    {
        if (_names.Count == 0)
        {
            return;
        }
        ApacheProxySite[] sites = _names.Distinct().Select(n => new ApacheProxySite { ServerName = n, BackendValue = ProxyBackend.Parse("http://127.0.0.1/") }).ToArray();
        string names = string.Join(", ", sites.Select(s => s.ServerName));
        RunOnHosts(HostChange.Apache(sites, uninstall: true, $"Uninstall Apache proxy site(s) {names}"), null);
    }
}
