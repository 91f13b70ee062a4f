using System.Management.Automation;
using System.Management.Automation.Runspaces;

using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The base of the cmdlets that read back what HomeTunnel manages on hosts (Get-ApacheProxySite,
/// Get-WireGuardConfig): -Session (several at once) or, on purpose, -Local, and -ThrottleLimit.
/// </summary>
public abstract class HostReadCommand : HomeTunnelCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    /// <summary>Read this machine (there is no default host).</summary>
    [Parameter]
    public SwitchParameter Local { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>The files HomeTunnel wrote on the hosts ("Sites" or "Configs"), read in parallel.</summary>
    internal System.Collections.Generic.IEnumerable<ManagedFile> ReadManaged(string what) =>
        ManagedFileReader.Read(this, Session, Local, what, ThrottleLimit, StopToken);
}
