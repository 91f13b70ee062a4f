using System.Collections.Generic;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// The Managed read's answer: the files with HomeTunnel's marker in one folder (sites, wg-quick files without their
/// keys, forward rules), each with its text and, for a site, whether it is enabled, for a wg-quick file, whether its
/// interface is up (null where it does not apply).
/// </summary>
public sealed record ManagedFilesAnswer(int Version, string State, IReadOnlyList<ManagedFileFacts> Files);

public sealed record ManagedFileFacts(string Path, string Text, bool? Enabled, bool? Up);
