using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.Cmdlets;

namespace HomeTunnel.Hosts;

/// <summary>
/// Turns a host's failure into an ErrorRecord: the agent's error id as FullyQualifiedErrorId, a category,
/// the host as target, and the command and its (redacted) stderr in the details.
/// </summary>
public static class HostErrors
{
    private static readonly Dictionary<string, ErrorKind> Kinds = new()
    {
        ["ApacheConfigBroken"] = ErrorKind.InvalidOperation,
        ["ConfigTestFailed"] = ErrorKind.InvalidData,
        ["WgQuickUpFailed"] = ErrorKind.InvalidOperation,
        ["WgQuickDownFailed"] = ErrorKind.InvalidOperation,
        ["CommandFailed"] = ErrorKind.InvalidOperation,
        ["NotRootNorSudo"] = ErrorKind.PermissionDenied,
        ["HostBusy"] = ErrorKind.ResourceBusy,
        ["WorkerTimedOut"] = ErrorKind.OperationTimeout,
        ["WorkerStopped"] = ErrorKind.InvalidOperation,
        ["RequestInvalid"] = ErrorKind.InvalidData,
        ["RunFolderUnsafe"] = ErrorKind.SecurityError,
        ["InterfaceNotFound"] = ErrorKind.ObjectNotFound,
        ["FileWriteFailed"] = ErrorKind.WriteError,
        ["NotOwnedByHomeTunnel"] = ErrorKind.ResourceExists,
        ["ServerNameTaken"] = ErrorKind.ResourceExists,
        ["BasicAuthPasswordMissing"] = ErrorKind.InvalidArgument,
        ["AcmeDnsKeyMissing"] = ErrorKind.InvalidArgument,
        ["AcmeDnsToolMissing"] = ErrorKind.NotInstalled,
        ["UnsupportedAgentVersion"] = ErrorKind.InvalidOperation,
        ["AgentAnswerInvalid"] = ErrorKind.InvalidData,
        ["UnknownRequestKind"] = ErrorKind.InvalidOperation,
        ["WebServerNotSupported"] = ErrorKind.NotInstalled,
        ["NftRejected"] = ErrorKind.InvalidData,
        ["NftNotInstalled"] = ErrorKind.NotInstalled,
        ["ForwardPortInUse"] = ErrorKind.SecurityError,
        ["ForwardOverlaps"] = ErrorKind.ResourceExists,
        ["ForwardTargetNotAPeer"] = ErrorKind.SecurityError,
        ["RelayFactsUnavailable"] = ErrorKind.ResourceUnavailable,
        ["BackendNotATunnelPeer"] = ErrorKind.SecurityError,
        ["AddressInvalid"] = ErrorKind.InvalidArgument,
    };

    /// <summary>Every error id a host can answer with (the agent's and the planners'), and its category.</summary>
    public static IReadOnlyDictionary<string, ErrorKind> KnownIds => Kinds;

    /// <summary>The error of a failed call, or null when the host answered.</summary>
    public static ErrorRecord? FromCall(HostCall call, HostView view) =>
        call.Error is not null ? HomeTunnelCmdlet.ToErrorRecord(call.Error) : FromAnswer(call.Target.Name, call.Answer!, view);

    /// <summary>The error an answer carries, or null when it is not a failure (an unknown state is one).</summary>
    public static ErrorRecord? FromAnswer(string host, AgentAnswer r, HostView view, object? target = null)
    {
        if (r.IsData || r.ChangeState != ChangeState.Failed)
        {
            return null;
        }
        string id = r.ErrorId ?? "HostOperationFailed";
        string message = $"{host}: {view.Kind} {view.Name}: {view.Safe(r.Message)}";
        string command = r.Command;
        string stderr = view.Safe(r.Stderr);
        // An id may carry its detail after ':' (ForwardPortInUse:tcp-22): the kind and the remedy are the base id's.
        string baseId = id.Split(':')[0];
        var e = new HomeTunnelException(id, Kinds.TryGetValue(baseId, out ErrorKind k) ? k : ErrorKind.InvalidOperation, message, target ?? host);
        e.Data["Host"] = host;
        e.Data["Command"] = command;
        e.Data["Stderr"] = stderr;
        ErrorRecord record = HomeTunnelCmdlet.ToErrorRecord(e);
        record.ErrorDetails = new ErrorDetails(message + (command.Length > 0 ? $"\nCommand: {command}" : string.Empty) + (stderr.Length > 0 ? $"\n{stderr.Trim()}" : string.Empty))
        {
            RecommendedAction = Remedies.For(baseId, host) ?? string.Empty,
        };
        return record;
    }
}
