namespace HomeTunnel.Bootstrap;

/// <summary>
/// One change Initialize-TunnelHost makes on a host: a fixed POSIX sh script (no user value is spliced in
/// except values the planner validated), run as root over plain SSH, optionally fed a local file on stdin.
/// </summary>
public sealed record BootstrapStep(string Id, string Description, string Script, string? StdinFile = null)
{
    public override string ToString() => Description;
}
