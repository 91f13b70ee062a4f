using System;

namespace HomeTunnel;

/// <summary>What went wrong, in the terms PowerShell's ErrorCategory uses (mapped by name in the cmdlet base).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ErrorKind
{
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    ResourceUnavailable,
    PermissionDenied,
    ConnectionError,
    OperationTimeout,
    WriteError,
    ReadError,
    NotInstalled,
    SecurityError,
    ParserError,
    ResourceExists,
    ResourceBusy,
}

/// <summary>
/// The one exception the model throws. The cmdlet base turns it into an ErrorRecord whose
/// FullyQualifiedErrorId starts with <see cref="ErrorId"/>, so users can match on stable ids.
/// </summary>
public sealed class HomeTunnelException : Exception
{
    public HomeTunnelException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }
    public ErrorKind Kind { get; }
    public object? Target { get; }

    public static HomeTunnelException Invalid(string errorId, string message, object? target) =>
        new(errorId, ErrorKind.InvalidArgument, message, target);
}
