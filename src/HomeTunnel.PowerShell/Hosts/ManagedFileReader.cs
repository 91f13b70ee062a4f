using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using HomeTunnel.Cmdlets;
using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Hosts;

/// <summary>One file HomeTunnel wrote on a host, as the agent read it back (a wg-quick file without its keys).</summary>
internal sealed record ManagedFile(string Host, string Path, string Text, bool Enabled, bool Up);

/// <summary>Reads back what HomeTunnel wrote on hosts, in parallel, one read-only agent call per host.</summary>
internal static class ManagedFileReader
{
    /// <param name="stopOnError">A host that cannot be read stops the command (a caller that decides from what is there).</param>
    public static IEnumerable<ManagedFile> Read(PSCmdlet cmdlet, PSSession[]? sessions, bool local, string what, int throttle, CancellationToken stop, bool stopOnError = false)
    {
        List<HostTarget> targets = HostTarget.Choose(sessions, local);
        try
        {
            foreach (HostCall call in HostInvoker.Invoke(targets, _ => AgentRequest.Managed(what), throttle, stop))
            {
                ErrorRecord? error = HostErrors.FromCall(call, new HostView(what, what, new Dictionary<string, string?>(), System.Array.Empty<string>()));
                if (error is not null && stopOnError)
                {
                    cmdlet.ThrowTerminatingError(error);
                }
                if (error is not null)
                {
                    cmdlet.WriteError(error);
                    continue;
                }
                ManagedFilesAnswer files;
                try
                {
                    files = AgentContract.ManagedFiles(call.Answer!.Body);
                }
                catch (AgentContractException invalid)
                {
                    ErrorRecord record = HomeTunnelCmdlet.ToErrorRecord(invalid.For(call.Target.Name));
                    if (stopOnError)
                    {
                        cmdlet.ThrowTerminatingError(record);
                    }
                    cmdlet.WriteError(record);
                    continue;
                }
                foreach (ManagedFileFacts f in files.Files)
                {
                    yield return new ManagedFile(call.Target.Name, f.Path, f.Text, f.Enabled ?? false, f.Up ?? false);
                }
            }
        }
        finally
        {
            targets.ForEach(t => t.Dispose());
        }
    }
}
