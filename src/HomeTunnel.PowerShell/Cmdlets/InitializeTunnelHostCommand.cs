using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.RegularExpressions;
using HomeTunnel.Bootstrap;
using HomeTunnel.Hosts;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Brings a bare relay or home machine, reached over plain OpenSSH, to what the other cmdlets need: WireGuard
/// (and Apache on a relay), PowerShell, the sshd powershell subsystem, the relay's firewall, services at boot.
/// Reads the host first and does only what is missing, so a second run changes nothing. Returns a PSSession.
/// </summary>
[Cmdlet(VerbsData.Initialize, "TunnelHost", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PSSession))]
public sealed class InitializeTunnelHostCommand : HomeTunnelCmdlet
{
    private static readonly Regex UserNamePattern = new(@"\A[A-Za-z_][A-Za-z0-9_.-]{0,31}\z", RegexOptions.CultureInvariant);

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyFilePath { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    [Parameter(Mandatory = true)]
    [StrictEnum(typeof(TunnelRole))]
    public TunnelRole Role { get; set; }

    /// <summary>The WireGuard port the relay's firewall opens (with 80 and 443).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int ListenPort { get; set; } = 51820;

    /// <summary>A PowerShell .deb, .rpm or .tar.gz copied to the host, for hosts that cannot reach Microsoft's repository.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PowerShellPackage { get; set; }

    /// <summary>The host key fingerprint (SHA256:…) your provider shows; the key is trusted only when it matches.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ExpectedHostKeyFingerprint { get; set; }

    /// <summary>The known_hosts file to read and enrol into; ~/.ssh/known_hosts by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KnownHostsPath { get; set; }

    /// <summary>How long one step (a package install, say) may take.</summary>
    [Parameter]
    [ValidateRange(10, 7200)]
    public int StepTimeoutSeconds { get; set; } = 900;

    protected override void Process()
    {
        string host = ValidateHost(HostName);
        if (!UserNamePattern.IsMatch(UserName))
        {
            throw HomeTunnelException.Invalid("InvalidUserName", $"'{UserName}' is not a user name ssh can log in as.", UserName);
        }
        string? key = KeyFilePath is null ? null : FileSystemPath(KeyFilePath);
        if (key is not null && !File.Exists(key))
        {
            throw new HomeTunnelException("FileNotFound", ErrorKind.ObjectNotFound, $"No SSH key at '{key}'.", key);
        }
        PowerShellPackage? package = PowerShellPackage is null ? null : Bootstrap.PowerShellPackage.From(FileSystemPath(PowerShellPackage));
        string knownHosts = FileSystemPath(KnownHostsPath ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts"));

        // -WhatIf with a key that matches (the expected fingerprint, or confirmed): read the host through a temporary
        // known_hosts, so the whole plan is shown and nothing is written on either side.
        string? preview = null;
        try
        {
            string? trusted = TrustHostKey(host, knownHosts, () => preview = NewPreviewKnownHosts());
            if (trusted is null)
            {
                return; // the confirm prompt said No to trusting the key
            }
            Initialize(host, key, package, trusted);
        }
        finally
        {
            if (preview is not null)
            {
                Directory.Delete(Path.GetDirectoryName(preview)!, recursive: true);
            }
        }
    }

    /// <summary>A known_hosts file for -WhatIf alone, in a new folder only this user may enter; deleted when the command ends.</summary>
    private static string NewPreviewKnownHosts()
    {
        string dir = Path.Combine(Path.GetTempPath(), "hometunnel-whatif-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return Path.Combine(dir, "known_hosts");
    }

    private void Initialize(string host, string? key, PowerShellPackage? package, string knownHosts)
    {
        var shell = new OpenSshShell(host, UserName, key, Port, knownHosts);
        WriteProgress(new ProgressRecord(3, $"Initialize {host}", "Reading the host") { PercentComplete = 0 });
        BootstrapFacts facts = Probe(shell);
        WriteVerbose($"{host}: {facts.Os.PrettyName}, init {facts.Init}, {(facts.KernelWireGuard ? "kernel WireGuard" : "no kernel WireGuard")}, firewall {facts.Firewall}, pwsh {facts.Command("pwsh") ?? "absent"}.");
        IReadOnlyList<BootstrapStep> steps = BootstrapPlanner.Plan(facts, new BootstrapRequest(Role, ListenPort, package), host);
        if (steps.Count == 0)
        {
            WriteVerbose($"{host} already has everything a {Role.ToString().ToLowerInvariant()} needs: nothing to change.");
        }
        for (int i = 0; i < steps.Count; i++)
        {
            BootstrapStep step = steps[i];
            if (!ShouldProcess(host, step.Description))
            {
                continue;
            }
            WriteProgress(new ProgressRecord(3, $"Initialize {host}", step.Description) { PercentComplete = (i + 1) * 100 / (steps.Count + 2) });
            WriteVerbose($"Step {i + 1} of {steps.Count} on {host}: {step.Description}.");
            ShellResult r = Run(shell, step.Script, step.StdinFile);
            if (r.ExitCode != 0)
            {
                throw StepFailed(host, step, r);
            }
        }
        WriteProgress(new ProgressRecord(3, $"Initialize {host}", "Done") { RecordType = ProgressRecordType.Completed });
        if (IsPreviewing(this))
        {
            return;
        }
        WriteObject(OpenSession(host, key, knownHosts));
    }

    private static string ValidateHost(string text)
    {
        if (IPText.TryParse(text, out var address))
        {
            return address.ToString();
        }
        return DnsName.Normalize(text, "HostName", "HostName");
    }

    /// <summary>
    /// The known_hosts file to connect with: the user's, when the key is trusted there (already, or now); under -WhatIf
    /// with a matching key, a temporary one from <paramref name="preview"/> (the user's stays as it was); null when the
    /// confirm prompt declined to trust it.
    /// </summary>
    private string? TrustHostKey(string host, string knownHosts, Func<string> preview)
    {
        var target = new SshTarget(host, UserName, null, Port, knownHosts, 10);
        if (target.HostKeyKnown())
        {
            // Known is not enough: the host must present the key known_hosts trusts, and the one the user expects.
            target.EnsureKnownKeyPresented();
            if (ExpectedHostKeyFingerprint is not null)
            {
                IReadOnlyList<ScannedHostKey> offered = HostKeyTrust.Scan(host, Port, 10);
                if (!offered.Any(k => HostKeyTrust.SameFingerprint(k.Fingerprint, ExpectedHostKeyFingerprint)))
                {
                    throw new HomeTunnelException("HostKeyMismatch", ErrorKind.SecurityError,
                        $"{host} offers host key(s) {string.Join(", ", offered)}, none of which is the expected {ExpectedHostKeyFingerprint}, though known_hosts already trusts one. Nothing was changed.", host);
                }
            }
            return knownHosts;
        }
        IReadOnlyList<ScannedHostKey> keys = HostKeyTrust.Scan(host, Port, 10);
        if (keys.Count == 0)
        {
            throw new HomeTunnelException("SshConnectFailed", ErrorKind.ConnectionError,
                $"{host} offered no SSH host key on port {Port}: it is down, not running sshd there, or a firewall is in the way.", host);
        }
        ScannedHostKey chosen;
        if (ExpectedHostKeyFingerprint is not null)
        {
            chosen = keys.FirstOrDefault(k => HostKeyTrust.SameFingerprint(k.Fingerprint, ExpectedHostKeyFingerprint))
                ?? throw new HomeTunnelException("HostKeyMismatch", ErrorKind.SecurityError,
                    $"{host} offers host key(s) {string.Join(", ", keys)}, none of which is the expected {ExpectedHostKeyFingerprint}. Nothing was trusted or changed.", host);
        }
        else
        {
            chosen = keys[0];
            bool confirmed = Ask(
                $"Trust the host key of {host}?",
                $"The host key of {host} is {chosen.Fingerprint} ({chosen.Type}). Trust it only if your provider's console shows the same fingerprint.");
            if (!confirmed)
            {
                throw new HomeTunnelException("HostKeyNotConfirmed", ErrorKind.SecurityError,
                    $"The host key of {host} ({chosen.Fingerprint}, {chosen.Type}) was not confirmed; HomeTunnel never trusts one unseen. Compare it with your provider's console and pass -ExpectedHostKeyFingerprint '{chosen.Fingerprint}'.", host);
            }
        }
        if (!ShouldProcess(knownHosts, $"Trust host key {chosen.Fingerprint} ({chosen.Type}) of {host}"))
        {
            if (!IsPreviewing(this))
            {
                return null;
            }
            string temporary = preview();
            HostKeyTrust.Enrol(temporary, host, Port, chosen);
            WriteVerbose($"-WhatIf: reading {host} read-only with its host key {chosen.Fingerprint} in a temporary known_hosts; {knownHosts} is not changed.");
            return temporary;
        }
        HostKeyTrust.Enrol(knownHosts, host, Port, chosen);
        WriteVerbose($"Trusted {host}'s host key {chosen.Fingerprint} ({chosen.Type}) in {knownHosts}.");
        return knownHosts;
    }

    /// <summary>A yes/no question whose default is No; false when there is no one to ask (a script, redirected input).</summary>
    private bool Ask(string caption, string message)
    {
        if (Host.Name == "ConsoleHost" && Console.IsInputRedirected)
        {
            return false;
        }
        var choices = new System.Collections.ObjectModel.Collection<System.Management.Automation.Host.ChoiceDescription>
        {
            new("&Yes", "Trust this key from now on."),
            new("&No", "Trust nothing; stop."),
        };
        try
        {
            return Host.UI.PromptForChoice(caption, message, choices, 1) == 0;
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException or NullReferenceException)
        {
            return false;
        }
    }

    private BootstrapFacts Probe(OpenSshShell shell)
    {
        ShellResult r = Run(shell, ProbeScript.Value, null);
        if (r.ExitCode != 0 || !r.Output.Contains("@end", StringComparison.Ordinal))
        {
            string id = r.Error.Contains("sudo", StringComparison.OrdinalIgnoreCase) && r.Error.Contains("password", StringComparison.OrdinalIgnoreCase)
                ? "NotRootNorSudo"
                : r.ExitCode == 255 ? SshTarget.ClassifySshFailure(r.Error) : "BootstrapProbeFailed";
            throw new HomeTunnelException(id, id == "NotRootNorSudo" ? ErrorKind.PermissionDenied : ErrorKind.ConnectionError,
                $"Could not read {shell.HostName} over SSH ({id}): {FirstLines(r.Error)}", shell.HostName);
        }
        return BootstrapFacts.Parse(r.Output);
    }

    private ShellResult Run(OpenSshShell shell, string script, string? stdinFile)
    {
        try
        {
            return shell.RunAsync(script, stdinFile, TimeSpan.FromSeconds(StepTimeoutSeconds), StopToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    private static HomeTunnelException StepFailed(string host, BootstrapStep step, ShellResult r)
    {
        string id = r.ExitCode == 255 ? SshTarget.ClassifySshFailure(r.Error)
            : step.Id == "SshSubsystem" && r.ExitCode == 3 ? "SshdConfigInvalid"
            : step.Id == "Firewall" && r.ExitCode == 4 ? "BootstrapFileNotOwned"
            : $"BootstrapStepFailed:{step.Id}";
        return new HomeTunnelException(id, id == "BootstrapFileNotOwned" ? ErrorKind.ResourceExists : ErrorKind.InvalidOperation,
            $"'{step.Description}' failed on {host} (exit {r.ExitCode}); the steps before it stay done, running the command again continues from here. {FirstLines(r.Error.Length > 0 ? r.Error : r.Output)}",
            host);
    }

    private static string FirstLines(string text)
    {
        string[] lines = text.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(" | ", lines.TakeLast(8)).Trim();
    }

    private PSSession OpenSession(string host, string? key, string knownHosts)
    {
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand("New-PSSession").AddParameter("HostName", host).AddParameter("Port", Port).AddParameter("UserName", UserName)
            .AddParameter("Options", new SshTarget(host, UserName, key, Port, knownHosts, 10).Options())
            .AddParameter("ErrorAction", ActionPreference.Stop);
        if (key is not null)
        {
            ps.AddParameter("KeyFilePath", key);
        }
        try
        {
            PSSession? session = ps.Invoke().Select(o => o?.BaseObject).OfType<PSSession>().FirstOrDefault();
            return session ?? throw new HomeTunnelException("SshConnectFailed", ErrorKind.ConnectionError, $"{host} is set up, but no PowerShell session opened.", host);
        }
        catch (RuntimeException e)
        {
            throw new HomeTunnelException(SshTarget.ClassifySshFailure(e.Message), ErrorKind.ConnectionError,
                $"{host} is set up, but the PowerShell session did not open: {e.Message}", host, e);
        }
    }

    private static readonly Lazy<string> ProbeScript = new(() =>
    {
        using Stream stream = typeof(InitializeTunnelHostCommand).Assembly.GetManifestResourceStream("HomeTunnel.probe.sh")
            ?? throw new InvalidOperationException("The bootstrap probe is missing from the module.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
