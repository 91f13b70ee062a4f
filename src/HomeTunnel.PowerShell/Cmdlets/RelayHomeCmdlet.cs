using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The base of the cmdlets that work on a relay and a home machine at once (Publish-, Unpublish-HomeService,
/// Update-TunnelPeerKey, Measure-TunnelNat, Measure-TunnelMtu): the relay as a session, the home machine as a
/// session or this machine said out loud (there is no default).
/// </summary>
public abstract class RelayHomeCmdlet : HomeTunnelCmdlet
{
    /// <summary>The relay this call works on: the cmdlet's -RelaySession (Publish-HomeService: the one of several it is at).</summary>
    protected abstract PSSession Relay { get; }

    /// <summary>The home machine; or -LocalHome for this machine.</summary>
    [Parameter]
    public PSSession? HomeSession { get; set; }

    /// <summary>This machine is the home machine (there is no default: without -HomeSession or -LocalHome the cmdlet stops).</summary>
    [Parameter]
    public SwitchParameter LocalHome { get; set; }

    /// <summary>Stops with HostRequired or HostConflict unless exactly one of -HomeSession and -LocalHome was given.</summary>
    protected void RequireHome() => HostTarget.Require(HomeSession is not null, LocalHome, "HomeSession", "LocalHome");

    /// <summary>"relay and home" for ShouldProcess targets and messages.</summary>
    protected string BothHosts => $"{Relay.ComputerName} and {HomeSession?.ComputerName ?? "this machine"}";

    /// <summary>The two hosts for direct agent calls; the caller disposes the pair.</summary>
    protected HostPair OpenHosts() =>
        new(HostTarget.FromSession(Relay), HomeSession is null ? HostTarget.Local() : HostTarget.FromSession(HomeSession));
}

/// <summary>A relay and a home machine opened for agent calls, disposed together.</summary>
public sealed record HostPair(HostTarget Relay, HostTarget Home) : System.IDisposable
{
    public void Dispose()
    {
        Relay.Dispose();
        Home.Dispose();
    }
}
