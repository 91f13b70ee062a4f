namespace HomeTunnel;

/// <summary>
/// How HomeTunnel knows its own: every file, unit, rule file and site it writes starts with this line, and nothing
/// without it is replaced or deleted unless the user says -Force. One home for the marker: the writers, the planners,
/// the scheduled checks, the boot units and the agent (which is sent it in the request) all take it from here.
/// </summary>
public static class Ownership
{
    public const string Marker = "# Managed by HomeTunnel";
}
