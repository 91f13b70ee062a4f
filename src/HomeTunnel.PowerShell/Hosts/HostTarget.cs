using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;

namespace HomeTunnel.Hosts;

/// <summary>
/// Where the agent runs: the runspace of a PSSession (remoting over SSH) or a fresh local runspace. The
/// two differ only in the runspace, so every apply path is the same code on every host.
/// </summary>
public sealed class HostTarget : IDisposable
{
    private HostTarget(string name, Runspace runspace, bool ownsRunspace)
    {
        Name = name;
        Runspace = runspace;
        _owns = ownsRunspace;
    }

    private readonly bool _owns;

    public string Name { get; }
    public Runspace Runspace { get; }

    public static HostTarget FromSession(PSSession session)
    {
        if (session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened)
        {
            throw new HomeTunnelException("SessionNotOpen", ErrorKind.ConnectionError,
                $"The session to '{session.ComputerName}' is {session.Runspace.RunspaceStateInfo.State}; open a new one with New-PSSession.", session.ComputerName);
        }
        return new HostTarget(session.ComputerName, session.Runspace, ownsRunspace: false);
    }

    /// <summary>
    /// The hosts a cmdlet is asked to work on: its sessions, or this machine only when -Local says so. Neither,
    /// or both, is an error: a cmdlet that changes hosts never targets this machine by default.
    /// </summary>
    public static List<HostTarget> Choose(PSSession[]? sessions, bool local)
    {
        Require(sessions is { Length: > 0 }, local);
        return For(sessions);
    }

    /// <summary>Throws HostConflict or HostRequired unless exactly one of sessions and -Local was given.</summary>
    public static void Require(bool any, bool local, string sessionName = "Session", string localName = "Local")
    {
        if (any && local)
        {
            throw HomeTunnelException.Invalid("HostConflict", $"Give -{sessionName} (the hosts) or -{localName} (this machine), not both.", localName);
        }
        if (!any && !local)
        {
            throw HomeTunnelException.Invalid("HostRequired", $"Which host? Give -{sessionName} with PSSessions (New-PSSession -HostName ..., or Initialize-TunnelHost), or -{localName} to work on this machine.", sessionName);
        }
    }

    /// <summary>The hosts a cmdlet works on: its sessions, or this machine when it was given none.</summary>
    public static List<HostTarget> For(PSSession[]? sessions) =>
        sessions is { Length: > 0 } ? sessions.Select(FromSession).ToList() : new List<HostTarget> { Local() };

    public static HostTarget Local()
    {
        Runspace runspace = RunspaceFactory.CreateRunspace();
        runspace.Open();
        return new HostTarget("localhost", runspace, ownsRunspace: true);
    }

    public void Dispose()
    {
        if (_owns)
        {
            Runspace.Dispose();
        }
    }
}
