using System;
using System.Management.Automation;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The base of every cmdlet: turns the model's <see cref="HomeTunnelException"/> into an ErrorRecord with
/// a stable FullyQualifiedErrorId, a category and the offending value as target.
/// </summary>
public abstract class HomeTunnelCmdlet : PSCmdlet, IDisposable
{
    private readonly System.Threading.CancellationTokenSource _stopping = new();

    /// <summary>Cancelled by Ctrl+C (StopProcessing): every host call and probe waits on it.</summary>
    protected System.Threading.CancellationToken StopToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>The engine disposes a cmdlet that is IDisposable when its pipeline ends: the Ctrl+C token goes with it.</summary>
    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Whether the command only previews (-WhatIf, or $WhatIfPreference): ShouldProcess is false then too, as it is for a
    /// No at the prompt, and a cmdlet of several steps must tell the two apart (preview each step; or do nothing).
    /// </summary>
    public static bool IsPreviewing(PSCmdlet cmdlet) =>
        cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w)
            ? ((SwitchParameter)w).IsPresent
            : LanguagePrimitives.IsTrue(cmdlet.GetVariableValue("WhatIfPreference"));

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
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Ctrl+C reached a wait: the pipeline stops, as PowerShell's own commands do, not with an error.
            throw new PipelineStoppedException();
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
        var record = new ErrorRecord(e, e.ErrorId, category, e.Target);
        string? remedy = Remedies.For(e.ErrorId.Split(':')[0], e.Target?.ToString() ?? "the host");
        if (remedy is not null)
        {
            record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = remedy };
        }
        return record;
    }

    /// <summary>A provider path (PSDrive, relative, ~) as a file system path.</summary>
    /// <summary>Whether a name matches one of the patterns given (all, when none).</summary>
    protected static System.Func<string, bool> Matcher(string[]? patterns)
    {
        var compiled = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(patterns ?? new[] { "*" }, n => new WildcardPattern(n, WildcardOptions.IgnoreCase)));
        return name => System.Linq.Enumerable.Any(compiled, p => p.IsMatch(name));
    }

    protected string FileSystemPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>The Export- cmdlets' write: atomic (0600 when <paramref name="ownerOnly"/>), and the file with -PassThru.</summary>
    protected void WriteExportFile(string path, string text, bool ownerOnly, bool overwrite, bool passThru)
    {
        Files.WriteTextAtomic(path, text, ownerOnly, overwrite);
        if (passThru)
        {
            WriteObject(new System.IO.FileInfo(path));
        }
    }
}
