using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.Apache;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>Offline checks across peers, configs and sites: one finding per problem, or with -Quiet a bool.</summary>
[Cmdlet(VerbsDiagnostic.Test, "TunnelConfig")]
[OutputType(typeof(TunnelConfigFinding), typeof(bool))]
public sealed class TestTunnelConfigCommand : HomeTunnelCmdlet
{
    private readonly List<TunnelPeer> _peers = new();
    private readonly List<WireGuardConfig> _configs = new();
    private readonly List<ApacheProxySite> _sites = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object[] InputObject { get; set; } = System.Array.Empty<object>();

    /// <summary>$true when no finding is an error (warnings pass).</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void Process()
    {
        foreach (object o in InputObject)
        {
            switch (o is PSObject p ? p.BaseObject : o)
            {
                case TunnelPeer peer: _peers.Add(peer); break;
                case WireGuardConfig config: _configs.Add(config); break;
                case ApacheProxySite site: _sites.Add(site); break;
                case var other:
                    throw HomeTunnelException.Invalid("InputNotTestable",
                        $"Test-TunnelConfig takes peers, WireGuard configs and Apache sites, not {other?.GetType().Name ?? "null"}.", other);
            }
        }
    }

    protected override void End()
    {
        IReadOnlyList<TunnelConfigFinding> findings = TunnelConfigChecker.Check(_peers, _configs, _sites);
        if (Quiet)
        {
            WriteObject(findings.All(x => x.Severity != FindingSeverity.Error));
            return;
        }
        WriteObject(findings, enumerateCollection: true);
    }
}
