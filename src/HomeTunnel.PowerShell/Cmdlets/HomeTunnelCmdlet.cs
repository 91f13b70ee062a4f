using System;
using System.Management.Automation;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The base of every cmdlet: turns the model's <see cref="HomeTunnelException"/> into an ErrorRecord with
/// a stable FullyQualifiedErrorId, a category and the offending value as target.
/// </summary>
public abstract class HomeTunnelCmdlet : PSCmdlet
{
    protected override void BeginProcessing() => Run(Begin, terminating: true);
    protected override void ProcessRecord() => Run(Process, terminating: false);
    protected override void EndProcessing() => Run(End, terminating: true);

    protected virtual void Begin() { }
    protected virtual void Process() { }
    protected virtual void End() { }

    private void Run(Action action, bool terminating)
    {
        try
        {
            action();
        }
        catch (HomeTunnelException e)
        {
            ErrorRecord record = ToErrorRecord(e);
            if (terminating)
            {
                ThrowTerminatingError(record);
            }
            else
            {
                WriteError(record);
            }
        }
    }

    public static ErrorRecord ToErrorRecord(HomeTunnelException e)
    {
        ErrorCategory category = Enum.TryParse(e.Kind.ToString(), out ErrorCategory c) ? c : ErrorCategory.NotSpecified;
        return new ErrorRecord(e, e.ErrorId, category, e.Target);
    }

    /// <summary>A provider path (PSDrive, relative, ~) as a file system path.</summary>
    protected string FileSystemPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
